//! Splitting an `ids` filter into requests that fit through gateways.
//!
//! Kratos takes at most 500 `ids` per request, but 500 UUIDs make a query of
//! about 20 KiB, and the proxies in front of a real deployment refuse request
//! lines far shorter: nginx's default `large_client_header_buffers` is 8 KiB
//! (answered with 414 or 400). So a batch is bounded by both: at most
//! [`MAX_IDS_PER_REQUEST`] ids, and a request line of at most
//! [`MAX_REQUEST_LINE_BYTES`], signing parameters included.

/// Kratos's limit on `ids` in one list request (`identity/handler.go`,
/// `parseListIdentitiesParameters`).
pub const MAX_IDS_PER_REQUEST: usize = 500;

/// nginx's default buffer for a request line (`large_client_header_buffers 4 8k`).
pub const MAX_REQUEST_LINE_BYTES: usize = 8 * 1024;

/// What a request line carries besides the URL and the ids: `GET `, ` HTTP/1.1`,
/// `page_size=500`, and the signing parameters (`nonce` = a UUID, `timestamp`
/// = 13 digits), with room to spare for a gateway's own additions.
const OVERHEAD_BYTES: usize = 256;

/// Splits `ids` (in their order) into batches whose request URL, of
/// `url_len` bytes before its query, stays within [`MAX_REQUEST_LINE_BYTES`]
/// and whose size stays within [`MAX_IDS_PER_REQUEST`]. An id too long for
/// any request still gets a batch of its own (the server will say why).
pub fn ids_batches(ids: &[String], url_len: usize) -> Vec<Vec<String>> {
    let budget = MAX_REQUEST_LINE_BYTES.saturating_sub(url_len + OVERHEAD_BYTES);
    let mut batches: Vec<Vec<String>> = Vec::new();
    let mut current: Vec<String> = Vec::new();
    let mut used = 0;
    for id in ids {
        let cost = encoded_pair_len(id);
        if !current.is_empty() && (used + cost > budget || current.len() == MAX_IDS_PER_REQUEST) {
            batches.push(std::mem::take(&mut current));
            used = 0;
        }
        used += cost;
        current.push(id.clone());
    }
    if !current.is_empty() {
        batches.push(current);
    }
    batches
}

/// `&ids=<id>` as the signer encodes it.
fn encoded_pair_len(id: &str) -> usize {
    let pair = [("ids".to_owned(), id.to_owned())];
    crate::signing::encode_query(&pair).len() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uuids(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("00000000-0000-4000-8000-{i:012}")).collect()
    }

    #[test]
    fn uuid_batches_fit_in_eight_kib() {
        let base = "https://kratos-admin.example.com/admin/identities";
        let ids = uuids(1_000);
        let batches = ids_batches(&ids, base.len());
        assert!(batches.len() > 2, "500 UUIDs do not fit in 8 KiB");
        for batch in &batches {
            let query: Vec<(String, String)> = std::iter::once(("page_size".to_owned(), "500".to_owned()))
                .chain(batch.iter().map(|id| ("ids".to_owned(), id.clone())))
                .chain([
                    ("nonce".to_owned(), uuid::Uuid::new_v4().to_string()),
                    ("timestamp".to_owned(), "1765108800000".to_owned()),
                ])
                .collect();
            let line = format!("GET {base}?{} HTTP/1.1", crate::signing::encode_query(&query));
            assert!(line.len() <= MAX_REQUEST_LINE_BYTES, "{}", line.len());
        }
        assert_eq!(batches.concat(), ids, "every id once, in order");
    }

    #[test]
    fn short_ids_stop_at_kratos_limit() {
        let ids: Vec<String> = (0..1_200).map(|i| format!("{i}")).collect();
        let batches = ids_batches(&ids, 40);
        assert!(batches.iter().all(|b| b.len() <= MAX_IDS_PER_REQUEST));
        assert_eq!(batches.concat(), ids);
    }

    #[test]
    fn an_overlong_id_goes_alone() {
        let ids = vec!["a".repeat(9_000), "b".to_owned()];
        assert_eq!(ids_batches(&ids, 40).len(), 2);
    }
}
