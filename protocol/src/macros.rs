//! The two macros the generated message modules are written in: `ocpp_enum!` for the enums of
//! the schemas, `actions!` for a version's action table (Action, Request, Response).

/// An enum of the schemas: each variant with the exact spelling it has on the wire, plus
/// `as_str`, `Display` and `FromStr` (for storing and reading back the same spelling).
#[macro_export]
#[doc(hidden)]
macro_rules! ocpp_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident { $($variant:ident = $wire:literal,)+ }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $(
                #[doc = concat!("`", $wire, "`")]
                #[serde(rename = $wire)]
                $variant,
            )+
        }

        impl $name {
            /// Every value, in the order of the schema.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The spelling on the wire.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $wire,)+
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::UnknownValue;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($wire => Ok($name::$variant),)+
                    _ => Err($crate::UnknownValue {
                        type_name: stringify!($name),
                        value: s.to_owned(),
                    }),
                }
            }
        }
    };
}

/// A version's table of actions: the `Action` enum, the `Request` and `Response` enums over
/// every payload type, and `OcppRequest` for each request type. The schema files are embedded
/// from `schemas/<folder>/<Action><suffix>.json` and `<Action>Response.json`.
#[macro_export]
#[doc(hidden)]
macro_rules! actions {
    (
        version: $version:expr,
        schemas: $folder:literal, $suffix:literal,
        actions: { $($action:ident: $req:ident => $resp:ident, $initiator:ident;)+ }
    ) => {
        /// Every action of this OCPP version.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Action {
            $(
                #[doc = concat!("`", stringify!($action), "`")]
                $action,
            )+
        }

        impl $crate::ActionSet for Action {
            const VERSION: $crate::OcppVersion = $version;
            const ALL: &'static [Action] = &[$(Action::$action),+];
            type Request = Request;
            type Response = Response;

            fn as_str(self) -> &'static str {
                match self {
                    $(Action::$action => stringify!($action),)+
                }
            }

            fn from_name(name: &str) -> Option<Self> {
                match name {
                    $(stringify!($action) => Some(Action::$action),)+
                    _ => None,
                }
            }

            fn initiator(self) -> $crate::Initiator {
                match self {
                    $(Action::$action => $crate::Initiator::$initiator,)+
                }
            }

            fn index(self) -> usize {
                self as usize
            }

            fn schema(self, kind: $crate::MessageKind) -> &'static str {
                match (self, kind) {
                    $(
                        (Action::$action, $crate::MessageKind::Request) => include_str!(concat!(
                            env!("CARGO_MANIFEST_DIR"), "/../schemas/", $folder, "/",
                            stringify!($action), $suffix, ".json"
                        )),
                        (Action::$action, $crate::MessageKind::Response) => include_str!(concat!(
                            env!("CARGO_MANIFEST_DIR"), "/../schemas/", $folder, "/",
                            stringify!($action), "Response.json"
                        )),
                    )+
                }
            }
        }

        impl ::std::fmt::Display for Action {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str($crate::ActionSet::as_str(*self))
            }
        }

        /// A request (the payload of a CALL) of any action.
        // Payloads are moved once, from the decoder to their handler; boxing the large ones
        // would cost an allocation per message for nothing.
        #[allow(clippy::large_enum_variant)]
        #[derive(Debug, Clone, PartialEq)]
        pub enum Request {
            $(
                #[doc = concat!("`", stringify!($action), "`")]
                $action($req),
            )+
        }

        /// A response (the payload of a CALLRESULT) of any action.
        #[allow(clippy::large_enum_variant)]
        #[derive(Debug, Clone, PartialEq)]
        pub enum Response {
            $(
                #[doc = concat!("`", stringify!($action), "`")]
                $action($resp),
            )+
        }

        impl Request {
            /// The typed request of a CALL: an unknown action is `NotImplemented`, then the schema
            /// and the type are checked (see [`$crate::decode_request`], which also checks that the
            /// receiving side takes the action).
            pub fn from_call(action: &str, payload: &$crate::tree::Node<'_>) -> Result<Self, $crate::RpcError> {
                $crate::decode_payload::<Action>($crate::SchemaRegistry::global(), action, payload)
            }
        }

        impl Response {
            /// The typed response of a CALLRESULT answering `action`, checked against its schema.
            pub fn from_result(action: Action, payload: &$crate::tree::Node<'_>) -> Result<Self, $crate::RpcError> {
                $crate::decode_response($crate::SchemaRegistry::global(), action, payload)
            }
        }

        /// Writes the payload alone (the action travels in the frame, not in the payload).
        impl ::serde::Serialize for Request {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                match self {
                    $(Request::$action(p) => ::serde::Serialize::serialize(p, serializer),)+
                }
            }
        }

        impl $crate::Payload for Request {
            type Action = Action;

            fn action(&self) -> Action {
                match self {
                    $(Request::$action(_) => Action::$action,)+
                }
            }

            fn from_node(action: Action, payload: &$crate::tree::Node<'_>) -> Result<Self, ::serde_json::Error> {
                Ok(match action {
                    $(Action::$action => Request::$action(payload.deserialize_into()?),)+
                })
            }

            fn to_value(&self) -> Result<::serde_json::Value, ::serde_json::Error> {
                match self {
                    $(Request::$action(p) => ::serde_json::to_value(p),)+
                }
            }
        }

        /// Writes the payload alone (the action travels in the frame, not in the payload).
        impl ::serde::Serialize for Response {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                match self {
                    $(Response::$action(p) => ::serde::Serialize::serialize(p, serializer),)+
                }
            }
        }

        impl $crate::Payload for Response {
            type Action = Action;

            fn action(&self) -> Action {
                match self {
                    $(Response::$action(_) => Action::$action,)+
                }
            }

            fn from_node(action: Action, payload: &$crate::tree::Node<'_>) -> Result<Self, ::serde_json::Error> {
                Ok(match action {
                    $(Action::$action => Response::$action(payload.deserialize_into()?),)+
                })
            }

            fn to_value(&self) -> Result<::serde_json::Value, ::serde_json::Error> {
                match self {
                    $(Response::$action(p) => ::serde_json::to_value(p),)+
                }
            }
        }

        $(
            impl $crate::OcppRequest for $req {
                type Action = Action;
                type Response = $resp;
                const ACTION: Action = Action::$action;

                fn into_request(self) -> Request {
                    Request::$action(self)
                }

                fn response_from(response: Response) -> Option<$resp> {
                    match response {
                        Response::$action(r) => Some(r),
                        #[allow(unreachable_patterns)]
                        _ => None,
                    }
                }
            }

            impl From<$req> for Request {
                fn from(payload: $req) -> Self {
                    Request::$action(payload)
                }
            }

            impl From<$resp> for Response {
                fn from(payload: $resp) -> Self {
                    Response::$action(payload)
                }
            }
        )+
    };
}
