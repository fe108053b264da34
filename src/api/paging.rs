//! Paging of every list: `?page=` (from 1, default 1) and `?pageSize=` (1 to 100, default 20)
//! in; `{"items": [...], "page": 1, "pageSize": 20, "total": 57}` out.

use super::ApiError;
use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use serde::Serialize;

/// The page asked for when none is.
const DEFAULT_PAGE_SIZE: u64 = 20;
/// The largest page.
const MAX_PAGE_SIZE: u64 = 100;
/// The last page number taken (so that the offset stays far from any integer's end).
const MAX_PAGE: u64 = 1_000_000;

/// Which page of a list: read from the query string beside the list's own filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Paging {
    pub(super) page: u64,
    pub(super) page_size: u64,
}

impl Paging {
    /// Rows skipped before the page.
    pub(super) fn offset(&self) -> u64 {
        (self.page - 1) * self.page_size
    }

    /// Rows on the page at most.
    pub(super) fn limit(&self) -> u64 {
        self.page_size
    }

    /// The page of `items` out of `total`.
    pub(super) fn of<T>(&self, items: Vec<T>, total: u64) -> Page<T> {
        Page { items, page: self.page, page_size: self.page_size, total }
    }

    fn parse(pairs: &[(String, String)]) -> Result<Paging, ApiError> {
        let number =
            |name: &str, default: u64, max: u64| -> Result<u64, ApiError> {
                match pairs.iter().rev().find(|(key, _)| key == name) {
                    None => Ok(default),
                    Some((_, given)) => given.parse::<u64>().ok().filter(|n| (1..=max).contains(n)).ok_or_else(|| {
                        ApiError::BadRequest(format!("{name}: {given:?} is not a number from 1 to {max}"))
                    }),
                }
            };
        Ok(Paging {
            page: number("page", 1, MAX_PAGE)?,
            page_size: number("pageSize", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)?,
        })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Paging {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let Query(pairs) = Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
            .map_err(|e| ApiError::BadRequest(e.body_text()))?;
        Paging::parse(&pairs)
    }
}

/// One page of a list.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct Page<T> {
    pub(super) items: Vec<T>,
    pub(super) page: u64,
    pub(super) page_size: u64,
    /// Items in the whole list.
    pub(super) total: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(query: &[(&str, &str)]) -> Result<Paging, String> {
        let pairs: Vec<(String, String)> = query.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        Paging::parse(&pairs).map_err(|e| e.to_string())
    }

    #[test]
    fn a_list_starts_at_page_one_of_twenty() {
        let paging = parse(&[("station", "SH-1")]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((paging, paging.offset(), paging.limit()), (Paging { page: 1, page_size: 20 }, 0, 20));
        let third = parse(&[("page", "3"), ("pageSize", "100")]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(third.offset(), 200);
    }

    #[test]
    fn a_page_out_of_range_is_refused_naming_its_parameter() {
        for (query, field) in [
            (("page", "0"), "page:"),
            (("page", "-1"), "page:"),
            (("page", "1000001"), "page:"),
            (("pageSize", "101"), "pageSize:"),
            (("pageSize", "0"), "pageSize:"),
            (("pageSize", "ten"), "pageSize:"),
        ] {
            let refused = parse(&[query]).err().unwrap_or_default();
            assert!(refused.starts_with(field), "{query:?}: {refused}");
        }
    }
}
