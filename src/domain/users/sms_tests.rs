//! Tests of `sms`, on the in-process store.

use super::*;
use std::sync::Mutex;

/// Keeps what was sent, as a phone would.
#[derive(Debug, Default)]
struct Outbox(Mutex<Vec<(String, String)>>);

impl SmsSender for Outbox {
    fn send<'a>(
        &'a self,
        phone: &'a Phone,
        text: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>> {
        if let Ok(mut sent) = self.0.lock() {
            sent.push((phone.to_string(), text.to_owned()));
        }
        Box::pin(async { Ok(()) })
    }
}

impl Outbox {
    fn last(&self) -> String {
        self.0.lock().ok().and_then(|sent| sent.last().map(|(_, code)| code.clone())).unwrap_or_default()
    }
}

fn codes() -> (SmsCodes, Arc<Outbox>, Kv) {
    let outbox = Arc::new(Outbox::default());
    let kv = Kv::memory();
    (SmsCodes::new(kv.clone(), outbox.clone(), b"test key"), outbox, kv)
}

fn phone() -> Phone {
    Phone::parse("13800138000").unwrap()
}

#[tokio::test]
async fn a_code_is_six_digits_kept_only_hashed_and_taken_once() {
    let (codes, outbox, kv) = codes();
    codes.send(&phone(), Purpose::Register).await.unwrap();
    let code = outbox.last();
    assert!(code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()), "{code}");
    let stored = kv.get("sms:code:register:13800138000").await.unwrap().unwrap();
    assert!(!stored.contains(&code) && stored.len() == 64, "{stored}");
    assert!(matches!(codes.take(&phone(), Purpose::Login, &code).await, Err(SmsError::WrongCode)));
    codes.take(&phone(), Purpose::Register, &code).await.unwrap();
    assert!(matches!(codes.take(&phone(), Purpose::Register, &code).await, Err(SmsError::WrongCode)));
}

#[tokio::test]
async fn five_wrong_tries_burn_the_code() {
    let (codes, outbox, _) = codes();
    codes.send(&phone(), Purpose::Login).await.unwrap();
    let code = outbox.last();
    let wrong = if code == "000000" { "000001" } else { "000000" };
    for _ in 0..MAX_TRIES {
        assert!(matches!(codes.take(&phone(), Purpose::Login, wrong).await, Err(SmsError::WrongCode)));
    }
    assert!(matches!(codes.take(&phone(), Purpose::Login, &code).await, Err(SmsError::Burned)));
    assert!(matches!(codes.take(&phone(), Purpose::Login, &code).await, Err(SmsError::WrongCode)));
}

#[tokio::test]
async fn one_code_a_minute_and_ten_a_day() {
    let (codes, _, kv) = codes();
    codes.send(&phone(), Purpose::Login).await.unwrap();
    assert!(matches!(codes.send(&phone(), Purpose::Login).await, Err(SmsError::TooSoon)));
    for _ in 1..MAX_PER_DAY {
        // A minute passes.
        kv.delete("sms:sent:13800138000").await.unwrap();
        codes.send(&phone(), Purpose::Login).await.unwrap();
    }
    kv.delete("sms:sent:13800138000").await.unwrap();
    assert!(matches!(codes.send(&phone(), Purpose::Login).await, Err(SmsError::DailyLimit)));
}

#[tokio::test]
async fn of_two_taking_one_code_at_once_one_succeeds() {
    let (codes, outbox, _) = codes();
    codes.send(&phone(), Purpose::Login).await.unwrap();
    let code = outbox.last();
    let phone = phone();
    let (a, b) = tokio::join!(codes.take(&phone, Purpose::Login, &code), codes.take(&phone, Purpose::Login, &code));
    assert_eq!(u8::from(a.is_ok()) + u8::from(b.is_ok()), 1, "{a:?} {b:?}");
}

#[test]
fn codes_are_uniform_over_six_digits() {
    let mut counts = [0u32; 10];
    for _ in 0..10_000 {
        for d in six_digits().bytes() {
            counts[usize::from(d - b'0')] += 1;
        }
    }
    // 6,000 draws per digit expected; 5 standard deviations is about ±370.
    assert!(counts.iter().all(|&c| (5_600..=6_400).contains(&c)), "{counts:?}");
}

/// A gateway that is down.
#[derive(Debug)]
struct Down;

impl SmsSender for Down {
    fn send<'a>(&'a self, _: &'a Phone, _: &'a str) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>> {
        Box::pin(async { Err("answered HTTP 500".to_owned()) })
    }
}

#[tokio::test]
async fn a_code_that_could_not_be_sent_is_forgotten_and_the_phone_may_ask_again_at_once() {
    let kv = Kv::memory();
    let down = SmsCodes::new(kv.clone(), Arc::new(Down), b"test key");
    let said = down.send(&phone(), Purpose::Login).await.unwrap_err();
    assert!(matches!(&said, SmsError::Send(why) if why == "answered HTTP 500"), "{said:?}");
    assert_eq!(kv.get("sms:code:login:13800138000").await.unwrap(), None);
    assert_eq!(kv.get("sms:sent:13800138000").await.unwrap(), None);
    // The gateway is back: a code goes out without waiting a minute.
    let outbox = Arc::new(Outbox::default());
    let up = SmsCodes::new(kv, outbox.clone(), b"test key");
    up.send(&phone(), Purpose::Login).await.unwrap();
    up.take(&phone(), Purpose::Login, &outbox.last()).await.unwrap();
}
