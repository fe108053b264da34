//! Sign-up and sign-in by SMS code, and the signed-in user's own profile.

use super::{ApiError, ApiState};
use crate::domain::ids::IdTag;
use crate::domain::storage::{StoreError, Subject};
use crate::domain::users::accounts::AccountError;
use crate::domain::users::records::ProfileChange;
use crate::domain::users::records::User;
use crate::domain::users::{Identity, SignedIn, SmsError};
use axum::body::Bytes;
use axum::extract::{FromRef, FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub(super) fn router() -> Router<ApiState> {
    Router::new()
        .route("/api/v1/auth/sms-code", post(send_code))
        .route("/api/v1/auth/register", post(register))
        .route("/api/v1/auth/login", post(login))
        .route("/api/v1/auth/logout", post(logout))
        .route("/api/v1/me", get(me).patch(change_me))
        .route("/api/v1/me/real-name", post(real_name))
        .route("/api/v1/me/cards", get(cards).post(bind_card))
        .route("/api/v1/me/cards/{id_tag}", axum::routing::delete(unbind_card))
}

/// The OpenAPI of these routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(send_code, register, login, logout, me, change_me, real_name, cards, bind_card, unbind_card))]
pub(super) struct Doc;

/// A user as the API shows them: the identity number only masked.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct UserView {
    id: i64,
    phone: String,
    nickname: String,
    avatar: Option<String>,
    role: String,
    status: String,
    id_tag: String,
    real_name_verified: bool,
    id_card: Option<String>,
    created_at: DateTime<Utc>,
}

impl From<User> for UserView {
    fn from(u: User) -> Self {
        UserView {
            id: u.id,
            phone: u.phone,
            nickname: u.nickname,
            avatar: u.avatar,
            role: u.role,
            status: u.status,
            id_tag: u.id_tag.into_string(),
            real_name_verified: u.verified_at.is_some(),
            id_card: u.id_card_masked,
            created_at: u.created_at,
        }
    }
}

/// A signed-in user and their sign-in token (a JWT: `Authorization: Bearer <token>`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct SignedInView {
    token: String,
    user: UserView,
}

impl From<SignedIn> for SignedInView {
    fn from(s: SignedIn) -> Self {
        SignedInView { token: s.token, user: s.user.into() }
    }
}

/// `POST /api/v1/auth/sms-code`
#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct CodeRequest {
    /// A mainland mobile number, e.g. `13800138000`.
    phone: String,
    /// `register` or `login`.
    purpose: String,
}

/// `POST /api/v1/auth/register` and `/api/v1/auth/login`: the phone and the code texted to it.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct SignIn {
    phone: String,
    code: String,
}

/// `PATCH /api/v1/me`: the fields given change; `"avatar": null` removes it.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct MeChange {
    /// 1 to 32 characters.
    nickname: Option<String>,
    /// An http(s) URL of at most 512 bytes, or `null`.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    avatar: Option<Option<String>>,
}

/// A field that is present (even as null) is `Some`.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// Texts a sign-up or sign-in code to a phone.
#[utoipa::path(post, path = "/api/v1/auth/sms-code", tag = "auth", operation_id = "sendSmsCode",
    request_body = CodeRequest,
    responses(
        (status = 204, description = "Sent"),
        (status = 400, description = "`invalid_phone`; `bad_request`: an unknown purpose or a malformed body", body = super::schemas::ErrorBody),
        (status = 429, description = "`code_sent_recently` or `daily_code_limit`", body = super::schemas::ErrorBody),
        (status = 500, description = "`internal`", body = super::schemas::ErrorBody),
        (status = 502, description = "`sms_failed`: the SMS gateway failed", body = super::schemas::ErrorBody),
    ))]
async fn send_code(State(state): State<ApiState>, body: Bytes) -> Result<StatusCode, ApiError> {
    let body: CodeRequest = super::json_body(&body)?;
    state.users.send_code(&body.phone, &body.purpose).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Signs a new driver up with the code texted for `register`.
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth", operation_id = "register",
    request_body = SignIn,
    responses(
        (status = 201, description = "Registered and signed in", body = SignedInView),
        (status = 400, description = "`invalid_phone`, `wrong_code`, `code_burned` (too many wrong tries) or `bad_request`", body = super::schemas::ErrorBody),
        (status = 409, description = "`already_registered`", body = super::schemas::ErrorBody),
        (status = 500, description = "`internal`", body = super::schemas::ErrorBody),
    ))]
async fn register(State(state): State<ApiState>, body: Bytes) -> Result<(StatusCode, Json<SignedInView>), ApiError> {
    let body: SignIn = super::json_body(&body)?;
    let signed = state.users.register(&body.phone, &body.code).await?;
    Ok((StatusCode::CREATED, Json(signed.into())))
}

/// Signs a user in with the code texted for `login`.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", operation_id = "login",
    request_body = SignIn,
    responses(
        (status = 200, description = "Signed in", body = SignedInView),
        (status = 400, description = "`invalid_phone`, `wrong_code`, `code_burned` or `bad_request`", body = super::schemas::ErrorBody),
        (status = 403, description = "`user_disabled`", body = super::schemas::ErrorBody),
        (status = 404, description = "`not_registered`", body = super::schemas::ErrorBody),
        (status = 500, description = "`internal`", body = super::schemas::ErrorBody),
    ))]
async fn login(State(state): State<ApiState>, body: Bytes) -> Result<Json<SignedInView>, ApiError> {
    let body: SignIn = super::json_body(&body)?;
    Ok(Json(state.users.login(&body.phone, &body.code).await?.into()))
}

/// Signs the user out everywhere: every token issued to them so far is refused from now on
/// (on another node of the cluster within 5 seconds); signing in again gives a new one.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", operation_id = "logout",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Signed out"),
        super::schemas::SignedErrors,
    ))]
async fn logout(State(state): State<ApiState>, Signed(who): Signed) -> Result<StatusCode, ApiError> {
    state.users.sign_out(&who).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/me", tag = "me", operation_id = "getMe",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The signed-in user", body = UserView),
        super::schemas::SignedErrors,
    ))]
async fn me(State(state): State<ApiState>, Signed(who): Signed) -> Result<Json<UserView>, ApiError> {
    Ok(Json(state.users.me(&who).await?.into()))
}

/// Changes the signed-in user's nickname or avatar.
#[utoipa::path(patch, path = "/api/v1/me", tag = "me", operation_id = "changeMe",
    request_body = MeChange,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The user as changed", body = UserView),
        (status = 400, description = "`bad_request`: a field is wrong", body = super::schemas::ErrorBody),
        super::schemas::SignedErrors,
    ))]
async fn change_me(
    State(state): State<ApiState>,
    Signed(user): Signed,
    body: Bytes,
) -> Result<Json<UserView>, ApiError> {
    let body: MeChange = super::json_body(&body)?;
    if let Some(nickname) = &body.nickname
        && (nickname.trim().is_empty() || nickname.chars().count() > 32)
    {
        return Err(ApiError::BadRequest("nickname: 1 to 32 characters".into()));
    }
    if let Some(Some(avatar)) = &body.avatar
        && (avatar.len() > 512 || !(avatar.starts_with("https://") || avatar.starts_with("http://")))
    {
        return Err(ApiError::BadRequest("avatar: an http(s) URL of at most 512 bytes".into()));
    }
    let change = ProfileChange { nickname: body.nickname.map(|n| n.trim().to_owned()), avatar: body.avatar };
    Ok(Json(state.users.change_profile(user.id, change).await?.into()))
}

/// `POST /api/v1/me/real-name`
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct RealNameCheck {
    real_name: String,
    id_card: String,
}

/// Verifies the signed-in user's real name against their resident identity number (once).
#[utoipa::path(post, path = "/api/v1/me/real-name", tag = "me", operation_id = "verifyRealName",
    request_body = RealNameCheck,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Verified: the user, the number masked", body = UserView),
        (status = 400, description = "`invalid_name`, `invalid_id_card` or `bad_request`", body = super::schemas::ErrorBody),
        (status = 409, description = "`already_verified`", body = super::schemas::ErrorBody),
        (status = 422, description = "`real_name_mismatch`: the name and number do not match", body = super::schemas::ErrorBody),
        (status = 502, description = "`verifier_failed`: the verification provider failed", body = super::schemas::ErrorBody),
        super::schemas::SignedErrors,
    ))]
async fn real_name(
    State(state): State<ApiState>,
    Signed(user): Signed,
    body: Bytes,
) -> Result<Json<UserView>, ApiError> {
    let body: RealNameCheck = super::json_body(&body)?;
    Ok(Json(state.users.verify_real_name(user.id, &body.real_name, &body.id_card).await?.into()))
}

/// A card bound to a user.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct CardView {
    id_tag: String,
    status: String,
    bound_at: DateTime<Utc>,
}

impl From<crate::domain::users::records::Card> for CardView {
    fn from(t: crate::domain::users::records::Card) -> Self {
        CardView { id_tag: t.id_tag.into_string(), status: t.status, bound_at: t.created_at }
    }
}

/// `POST /api/v1/me/cards`
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct NewCard {
    id_tag: String,
}

/// The RFID cards bound to the signed-in user.
#[utoipa::path(get, path = "/api/v1/me/cards", tag = "me", operation_id = "listMyCards",
    params(super::schemas::PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of the cards", body = super::paging::Page<CardView>),
        (status = 400, description = "`bad_request`: `page` or `pageSize` out of range", body = super::schemas::ErrorBody),
        super::schemas::SignedErrors,
    ))]
async fn cards(
    State(state): State<ApiState>,
    Signed(user): Signed,
    paging: super::paging::Paging,
) -> Result<Json<super::paging::Page<CardView>>, ApiError> {
    let (cards, total) = state.users.cards(&user, paging.offset(), paging.limit()).await?;
    Ok(Json(paging.of(cards.into_iter().map(CardView::from).collect(), total)))
}

/// Binds an RFID card to the signed-in user: chargers then authorize it with the user's standing.
#[utoipa::path(post, path = "/api/v1/me/cards", tag = "me", operation_id = "bindCard",
    request_body = NewCard,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Bound", body = CardView),
        (status = 400, description = "`invalid_card`: 1 to 20 printable ASCII characters; `bad_request`", body = super::schemas::ErrorBody),
        (status = 409, description = "`card_taken`: the id tag exists already", body = super::schemas::ErrorBody),
        super::schemas::SignedErrors,
    ))]
async fn bind_card(
    State(state): State<ApiState>,
    Signed(user): Signed,
    body: Bytes,
) -> Result<(StatusCode, Json<CardView>), ApiError> {
    let body: NewCard = super::json_body(&body)?;
    Ok((StatusCode::CREATED, Json(state.users.bind_card(&user, &body.id_tag).await?.into())))
}

/// Unbinds one of the signed-in user's cards.
#[utoipa::path(delete, path = "/api/v1/me/cards/{id_tag}", tag = "me", operation_id = "unbindCard",
    params(("id_tag" = String, Path, description = "The card's id tag")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Unbound"),
        (status = 404, description = "`not_found`: no such card of this user", body = super::schemas::ErrorBody),
        super::schemas::SignedErrors,
    ))]
async fn unbind_card(
    State(state): State<ApiState>,
    Signed(user): Signed,
    axum::extract::Path(id_tag): axum::extract::Path<String>,
) -> Result<StatusCode, ApiError> {
    // A text that cannot be a tag is no card of theirs.
    let Ok(card) = IdTag::parse(id_tag) else {
        return Err(AccountError::from(StoreError::NotFound(Subject::Card)).into());
    };
    state.users.unbind_card(&user, &card).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in user, from the bearer token (`Users::identify`).
pub(super) struct Signed(pub(super) Identity);

impl<S> FromRequestParts<S> for Signed
where
    ApiState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = ApiState::from_ref(state);
        let token = super::auth::bearer(parts).ok_or(ApiError::Unauthorized)?;
        Ok(Signed(state.users.identify(token).await?))
    }
}

impl From<AccountError> for ApiError {
    fn from(e: AccountError) -> Self {
        let message = e.to_string();
        let refused = |status, code| ApiError::Refused { status, code, message: message.clone() };
        match e {
            AccountError::Phone(_) => refused(StatusCode::BAD_REQUEST, "invalid_phone"),
            AccountError::Purpose(_) => ApiError::BadRequest(message),
            AccountError::Sms(SmsError::TooSoon) => refused(StatusCode::TOO_MANY_REQUESTS, "code_sent_recently"),
            AccountError::Sms(SmsError::DailyLimit) => refused(StatusCode::TOO_MANY_REQUESTS, "daily_code_limit"),
            AccountError::Sms(SmsError::WrongCode) => refused(StatusCode::BAD_REQUEST, "wrong_code"),
            AccountError::Sms(SmsError::Burned) => refused(StatusCode::BAD_REQUEST, "code_burned"),
            // The gateway's or provider's answer is ours to read, not the client's: logged once here.
            AccountError::Sms(SmsError::Send(detail)) => {
                tracing::warn!(%detail, "a sign-in code could not be sent");
                ApiError::Refused {
                    status: StatusCode::BAD_GATEWAY,
                    code: "sms_failed",
                    message: "the SMS could not be sent: try again".into(),
                }
            }
            AccountError::Sms(SmsError::Kv(_)) => ApiError::Internal(message),
            AccountError::AlreadyRegistered => refused(StatusCode::CONFLICT, "already_registered"),
            AccountError::NotRegistered => refused(StatusCode::NOT_FOUND, "not_registered"),
            AccountError::Disabled => refused(StatusCode::FORBIDDEN, "user_disabled"),
            AccountError::Token(_) => ApiError::Unauthorized,
            AccountError::Name => refused(StatusCode::BAD_REQUEST, "invalid_name"),
            AccountError::IdCard(_) => refused(StatusCode::BAD_REQUEST, "invalid_id_card"),
            AccountError::Mismatch => refused(StatusCode::UNPROCESSABLE_ENTITY, "real_name_mismatch"),
            AccountError::Verifier(detail) => {
                tracing::warn!(%detail, "a real-name check could not be made");
                ApiError::Refused {
                    status: StatusCode::BAD_GATEWAY,
                    code: "verifier_failed",
                    message: "the real-name check could not be made: try again".into(),
                }
            }
            AccountError::AlreadyVerified => refused(StatusCode::CONFLICT, "already_verified"),
            AccountError::Card(_) => refused(StatusCode::BAD_REQUEST, "invalid_card"),
            AccountError::CardTaken => refused(StatusCode::CONFLICT, "card_taken"),
            AccountError::Store(store) => store.into(),
        }
    }
}
