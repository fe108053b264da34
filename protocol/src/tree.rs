//! A JSON tree that borrows its strings from the frame's text: what a payload is parsed into,
//! validated as (it is a `jsonschema` representation) and deserialised from (it is a serde
//! `Deserializer`). Parsing allocates one vector per object or array and nothing per key or
//! string; a `serde_json::Value` allocates every key and string, which cost two thirds of the
//! decoding time of a MeterValues frame.

use jsonschema::json::{self, JsonNumber, NodeIdentity};
use jsonschema::types::JsonType;
use serde::de::{self, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::Value;
use std::borrow::Cow;
use std::fmt;

/// One JSON value, borrowing from the text it was parsed from where it can.
#[derive(Debug, Clone, PartialEq)]
pub enum Node<'a> {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A number, as serde_json reads it.
    Number(Number),
    /// A string (owned only when the text had escapes).
    String(Cow<'a, str>),
    /// An array.
    Array(Vec<Node<'a>>),
    /// An object, members in text order; a repeated name keeps its last value (as serde_json's
    /// `Value` does).
    Object(Vec<(Cow<'a, str>, Node<'a>)>),
}

/// A JSON number: an integer when written as one and within 64 bits, else a float.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    /// A non-negative integer.
    PosInt(u64),
    /// A negative integer.
    NegInt(i64),
    /// Anything written with a fraction or an exponent, or beyond 64 bits.
    Float(f64),
}

impl<'a> Node<'a> {
    /// Parses `text` (one JSON value, nothing after it).
    pub fn parse(text: &'a str) -> Result<Node<'a>, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// An empty object.
    pub const fn empty_object() -> Node<'static> {
        Node::Object(Vec::new())
    }

    /// A tree over a `serde_json::Value`, borrowing its strings.
    pub fn from_value(value: &'a Value) -> Node<'a> {
        match value {
            Value::Null => Node::Null,
            Value::Bool(b) => Node::Bool(*b),
            Value::Number(n) => Node::Number(if let Some(u) = n.as_u64() {
                Number::PosInt(u)
            } else if let Some(i) = n.as_i64() {
                Number::NegInt(i)
            } else {
                Number::Float(n.as_f64().unwrap_or(f64::NAN))
            }),
            Value::String(s) => Node::String(Cow::Borrowed(s)),
            Value::Array(items) => Node::Array(items.iter().map(Node::from_value).collect()),
            Value::Object(map) => {
                Node::Object(map.iter().map(|(k, v)| (Cow::Borrowed(k.as_str()), Node::from_value(v))).collect())
            }
        }
    }

    /// The same value as a `serde_json::Value` (for cold paths: logs, error reports).
    pub fn to_value(&self) -> Value {
        match self {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(*b),
            Node::Number(n) => Value::Number(n.to_serde()),
            Node::String(s) => Value::String(s.as_ref().to_owned()),
            Node::Array(items) => Value::Array(items.iter().map(Node::to_value).collect()),
            Node::Object(members) => {
                Value::Object(members.iter().map(|(k, v)| (k.as_ref().to_owned(), v.to_value())).collect())
            }
        }
    }

    /// The same value owning all its strings.
    pub fn into_owned(self) -> Node<'static> {
        match self {
            Node::Null => Node::Null,
            Node::Bool(b) => Node::Bool(b),
            Node::Number(n) => Node::Number(n),
            Node::String(s) => Node::String(Cow::Owned(s.into_owned())),
            Node::Array(items) => Node::Array(items.into_iter().map(Node::into_owned).collect()),
            Node::Object(members) => {
                Node::Object(members.into_iter().map(|(k, v)| (Cow::Owned(k.into_owned()), v.into_owned())).collect())
            }
        }
    }

    /// Whether this is an object.
    pub fn is_object(&self) -> bool {
        matches!(self, Node::Object(_))
    }

    /// The member called `name`, if this is an object that has one.
    pub fn get(&self, name: &str) -> Option<&Node<'a>> {
        match self {
            Node::Object(members) => members.iter().find(|(k, _)| k == name).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Deserialises a typed value from this tree.
    pub fn deserialize_into<T: de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        T::deserialize(self)
    }
}

impl Number {
    fn to_serde(self) -> serde_json::Number {
        match self {
            Number::PosInt(u) => u.into(),
            Number::NegInt(i) => i.into(),
            // JSON text never holds a NaN or an infinity; null stands in for one that cannot be.
            Number::Float(f) => serde_json::Number::from_f64(f).unwrap_or_else(|| 0.into()),
        }
    }
}

// --- parsing ------------------------------------------------------------------------------

/// Objects this large are not deduplicated while parsing: no OCPP schema has so many properties,
/// so such an object fails its schema (`additionalProperties`) whatever its duplicates, and the
/// quadratic scan is not worth doing for it.
const DEDUP_LIMIT: usize = 64;

impl<'de> de::Deserialize<'de> for Node<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E>(self) -> Result<Node<'de>, E> {
        Ok(Node::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Node<'de>, E> {
        Ok(Node::Bool(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Node<'de>, E> {
        Ok(Node::Number(Number::PosInt(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Node<'de>, E> {
        Ok(Node::Number(if v < 0 { Number::NegInt(v) } else { Number::PosInt(v as u64) }))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Node<'de>, E> {
        Ok(Node::Number(Number::Float(v)))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Node<'de>, E> {
        Ok(Node::String(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Node<'de>, E> {
        Ok(Node::String(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Node<'de>, E> {
        Ok(Node::String(Cow::Owned(v)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node<'de>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node<'de>, A::Error> {
        let mut members: Vec<(Cow<'de, str>, Node<'de>)> = Vec::with_capacity(map.size_hint().unwrap_or(0).min(64));
        while let Some(Key(key)) = map.next_key()? {
            let value = map.next_value()?;
            if members.len() < DEDUP_LIMIT
                && let Some(slot) = members.iter_mut().find(|(k, _)| *k == key)
            {
                slot.1 = value;
                continue;
            }
            members.push((key, value));
        }
        Ok(Node::Object(members))
    }
}

/// An object key, borrowed when the text has no escapes (serde's `Cow` impl always copies).
struct Key<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

// --- writing ------------------------------------------------------------------------------

impl Serialize for Node<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Node::Null => serializer.serialize_unit(),
            Node::Bool(b) => serializer.serialize_bool(*b),
            Node::Number(Number::PosInt(u)) => serializer.serialize_u64(*u),
            Node::Number(Number::NegInt(i)) => serializer.serialize_i64(*i),
            Node::Number(Number::Float(f)) => serializer.serialize_f64(*f),
            Node::String(s) => serializer.serialize_str(s),
            Node::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Node::Object(members) => {
                let mut map = serializer.serialize_map(Some(members.len()))?;
                for (k, v) in members {
                    map.serialize_entry(k.as_ref(), v)?;
                }
                map.end()
            }
        }
    }
}

// --- typed deserialisation from the tree ----------------------------------------------------

impl<'de> Deserializer<'de> for &Node<'de> {
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self {
            Node::Null => visitor.visit_unit(),
            Node::Bool(b) => visitor.visit_bool(*b),
            Node::Number(Number::PosInt(u)) => visitor.visit_u64(*u),
            Node::Number(Number::NegInt(i)) => visitor.visit_i64(*i),
            Node::Number(Number::Float(f)) => visitor.visit_f64(*f),
            Node::String(Cow::Borrowed(s)) => visitor.visit_borrowed_str(s),
            Node::String(Cow::Owned(s)) => visitor.visit_str(s),
            Node::Array(items) => visitor.visit_seq(Elements { items: items.iter() }),
            Node::Object(members) => visitor.visit_map(Members { members: members.iter(), value: None }),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self {
            Node::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        match self {
            Node::String(s) => visitor.visit_enum(s.as_ref().into_deserializer()),
            other => Err(de::Error::invalid_type(other.unexpected(), &"a string")),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_unit()
    }

    integers! {
        deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64
    }

    serde::forward_to_deserialize_any! {
        bool i128 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct identifier
    }
}

/// Integer targets also take an integral float: draft-06 (OCPP 2.0.1) counts `1.0` as an
/// integer, so a payload its schema admits must not fail on the way into an `i32`.
macro_rules! integers {
    ($($method:ident)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
                match self {
                    Node::Number(Number::Float(f)) if f.fract() == 0.0 && (0.0..1.8e19).contains(f) => {
                        visitor.visit_u64(*f as u64)
                    }
                    Node::Number(Number::Float(f)) if f.fract() == 0.0 && (-9.2e18..0.0).contains(f) => {
                        visitor.visit_i64(*f as i64)
                    }
                    _ => self.deserialize_any(visitor),
                }
            }
        )*
    };
}
use integers;

impl Node<'_> {
    fn unexpected(&self) -> de::Unexpected<'_> {
        match self {
            Node::Null => de::Unexpected::Unit,
            Node::Bool(b) => de::Unexpected::Bool(*b),
            Node::Number(Number::PosInt(u)) => de::Unexpected::Unsigned(*u),
            Node::Number(Number::NegInt(i)) => de::Unexpected::Signed(*i),
            Node::Number(Number::Float(f)) => de::Unexpected::Float(*f),
            Node::String(s) => de::Unexpected::Str(s),
            Node::Array(_) => de::Unexpected::Seq,
            Node::Object(_) => de::Unexpected::Map,
        }
    }
}

struct Elements<'a, 'de> {
    items: std::slice::Iter<'a, Node<'de>>,
}

impl<'a, 'de> SeqAccess<'de> for Elements<'a, 'de> {
    type Error = serde_json::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, Self::Error> {
        self.items.next().map(|item| seed.deserialize(item)).transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct Members<'a, 'de> {
    members: std::slice::Iter<'a, (Cow<'de, str>, Node<'de>)>,
    value: Option<&'a Node<'de>>,
}

impl<'a, 'de> MapAccess<'de> for Members<'a, 'de> {
    type Error = serde_json::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Self::Error> {
        let Some((key, value)) = self.members.next() else {
            return Ok(None);
        };
        self.value = Some(value);
        let key = match key {
            Cow::Borrowed(k) => seed.deserialize(de::value::BorrowedStrDeserializer::new(k)),
            Cow::Owned(k) => seed.deserialize(de::value::StrDeserializer::new(k)),
        };
        key.map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Self::Error> {
        match self.value.take() {
            Some(value) => seed.deserialize(value),
            None => Err(de::Error::custom("a value was asked for before its key")),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.members.len())
    }
}

// --- the jsonschema representation -------------------------------------------------------

/// The `jsonschema` representation of [`Node`] trees.
#[derive(Debug)]
pub struct Tree;

impl json::Json for Tree {
    type Node<'a> = &'a Node<'a>;
    type PreparedKey = String;
    type StringBuffer = ();

    // Members are a vector scanned in order: one pass over them beats a lookup per property
    // until objects get larger than any OCPP object is.
    const KEYS_PER_LOOKUP: usize = 8;
    const ACYCLIC: bool = true;

    fn prepare_key(key: &str) -> String {
        key.to_owned()
    }

    fn with_string_node<T>((): &mut (), string: &str, f: impl for<'x> FnOnce(&'x Node<'x>) -> T) -> T {
        f(&Node::String(Cow::Borrowed(string)))
    }
}

impl<'a> json::Node<'a, Tree> for &'a Node<'a> {
    type Object = &'a [(Cow<'a, str>, Node<'a>)];
    type Array = &'a [Node<'a>];
    type Number = Number;

    fn as_object(&self) -> Option<Self::Object> {
        match self {
            Node::Object(members) => Some(members),
            _ => None,
        }
    }
    fn as_array(&self) -> Option<Self::Array> {
        match self {
            Node::Array(items) => Some(items),
            _ => None,
        }
    }
    fn as_string(&self) -> Option<Cow<'a, str>> {
        match self {
            Node::String(s) => Some(Cow::Borrowed(s.as_ref())),
            _ => None,
        }
    }
    fn as_number(&self) -> Option<Number> {
        match self {
            Node::Number(n) => Some(*n),
            _ => None,
        }
    }
    fn as_boolean(&self) -> Option<bool> {
        match self {
            Node::Bool(b) => Some(*b),
            _ => None,
        }
    }
    fn is_null(&self) -> bool {
        matches!(self, Node::Null)
    }
    fn json_type(&self) -> JsonType {
        match self {
            Node::Null => JsonType::Null,
            Node::Bool(_) => JsonType::Boolean,
            Node::Number(_) => JsonType::Number,
            Node::String(_) => JsonType::String,
            Node::Array(_) => JsonType::Array,
            Node::Object(_) => JsonType::Object,
        }
    }
    fn string_length_within(&self, min: u64, max: u64) -> Option<bool> {
        let Node::String(s) = self else {
            return None;
        };
        // A code point takes one to four bytes: the byte length often decides without counting.
        let bytes = s.len() as u64;
        if bytes < min || bytes.div_ceil(4) > max {
            return Some(false);
        }
        if min <= bytes.div_ceil(4) && bytes <= max {
            return Some(true);
        }
        Some((min..=max).contains(&(s.chars().count() as u64)))
    }
    fn equals_value(&self, expected: &Value) -> bool {
        match (self, expected) {
            // The enum check, once per enum-typed field: compare without building a Value.
            (Node::String(s), Value::String(e)) => s == e,
            (Node::String(_), _) | (_, Value::String(_)) => false,
            _ => json::cmp::equal(&self.to_value(), expected),
        }
    }
    fn to_value(&self) -> Cow<'a, Value> {
        Cow::Owned(Node::to_value(self))
    }
    fn identity(&self) -> Option<NodeIdentity> {
        Some(NodeIdentity::new(std::ptr::from_ref::<Node<'a>>(*self) as usize))
    }
}

/// The member iterator of [`Tree`] objects.
#[derive(Debug)]
pub struct MembersIter<'a>(std::slice::Iter<'a, (Cow<'a, str>, Node<'a>)>);

impl<'a> Iterator for MembersIter<'a> {
    type Item = (&'a str, &'a Node<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(k, v)| (k.as_ref(), v))
    }
}

impl<'a> json::Object<'a, Tree> for &'a [(Cow<'a, str>, Node<'a>)] {
    type Node = &'a Node<'a>;
    type MemberName = &'a str;
    type MembersIter = MembersIter<'a>;

    fn len(&self) -> usize {
        <[_]>::len(self)
    }
    fn get(&self, key: &String) -> Option<&'a Node<'a>> {
        self.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
    fn members(&self) -> MembersIter<'a> {
        MembersIter(self.iter())
    }
}

impl<'a> json::Array<'a, Tree> for &'a [Node<'a>] {
    type Node = &'a Node<'a>;
    type ElementsIter = std::slice::Iter<'a, Node<'a>>;

    fn len(&self) -> usize {
        <[_]>::len(self)
    }
    fn elements(&self) -> Self::ElementsIter {
        self.iter()
    }
}

impl JsonNumber for Number {
    fn as_u64(&self) -> Option<u64> {
        match *self {
            Number::PosInt(u) => Some(u),
            _ => None,
        }
    }
    fn as_i64(&self) -> Option<i64> {
        match *self {
            Number::PosInt(u) => i64::try_from(u).ok(),
            Number::NegInt(i) => Some(i),
            Number::Float(_) => None,
        }
    }
    fn as_f64(&self) -> Option<f64> {
        Some(match *self {
            Number::PosInt(u) => u as f64,
            Number::NegInt(i) => i as f64,
            Number::Float(f) => f,
        })
    }
    fn as_str(&self) -> Cow<'_, str> {
        Cow::Owned(self.to_serde().to_string())
    }
    fn to_number(&self) -> Cow<'_, serde_json::Number> {
        Cow::Owned(self.to_serde())
    }
    fn is_integer(&self) -> bool {
        match *self {
            Number::PosInt(_) | Number::NegInt(_) => true,
            Number::Float(f) => f.is_finite() && f.fract() == 0.0,
        }
    }
    fn is_written_as_integer(&self) -> bool {
        !matches!(self, Number::Float(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strings_and_keys_borrow_from_the_text_unless_escaped() {
        let node = Node::parse(r#"{"plain": "text", "esc\u0061ped": "a\"b"}"#).unwrap();
        let Node::Object(members) = &node else { panic!("not an object") };
        assert!(matches!(members[0], (Cow::Borrowed("plain"), Node::String(Cow::Borrowed("text")))));
        assert!(matches!(&members[1], (Cow::Owned(k), Node::String(Cow::Owned(v))) if k == "escaped" && v == "a\"b"));
    }

    #[test]
    fn a_repeated_name_keeps_its_last_value_as_serde_json_does() {
        let text = r#"{"a": 1, "b": 2, "a": 3}"#;
        let node = Node::parse(text).unwrap();
        assert_eq!(node.to_value(), serde_json::from_str::<Value>(text).unwrap());
        assert_eq!(node.get("a"), Some(&Node::Number(Number::PosInt(3))));
    }

    #[test]
    fn values_convert_both_ways_unchanged() {
        let value = json!({"n": [1, -2, 2.5, 1e300, 18446744073709551615u64], "s": "é", "z": null, "t": true, "o": {}});
        let node = Node::from_value(&value);
        assert_eq!(node.to_value(), value);
        assert_eq!(serde_json::to_value(&node).unwrap(), value);
        assert_eq!(Node::parse(&value.to_string()).unwrap(), node);
        assert_eq!(node.clone().into_owned(), node);
    }

    #[test]
    fn typed_values_deserialise_from_the_tree() {
        #[derive(serde::Deserialize, PartialEq, Debug)]
        #[serde(rename_all = "camelCase")]
        struct Sample {
            connector_id: i32,
            tag: Option<String>,
            kind: Kind,
            list: Vec<u8>,
        }
        #[derive(serde::Deserialize, PartialEq, Debug)]
        enum Kind {
            Hard,
        }
        let node = Node::parse(r#"{"connectorId": 2.0, "tag": null, "kind": "Hard", "list": [1, 2]}"#).unwrap();
        let sample: Sample = node.deserialize_into().unwrap();
        assert_eq!(sample, Sample { connector_id: 2, tag: None, kind: Kind::Hard, list: vec![1, 2] });
        let node = Node::parse(r#"{"connectorId": 2.5, "kind": "Hard", "list": []}"#).unwrap();
        assert!(node.deserialize_into::<Sample>().is_err());
        let node = Node::parse(r#"{"connectorId": 1, "kind": "Soft", "list": []}"#).unwrap();
        assert!(node.deserialize_into::<Sample>().is_err());
    }
}
