//! The list as a data structure: filtering, paging, server results.

mod basics {
    use crate::app::list::*;
    use crate::app::rows::{Filter, IdentityRow};
    use serde_json::json;

    fn row(i: usize, email: &str) -> IdentityRow {
        IdentityRow::from_identity(
            &json!({"id": format!("00000000-0000-4000-8000-{i:012}"), "state": "active", "traits": {"email": email}}),
            None,
        )
    }

    #[test]
    fn filter_narrows_and_widens_and_keeps_the_cursor() {
        let mut list = ListState::default();
        list.append(
            (0..10).map(|i| row(i, &format!("user{i}@example.com"))).collect(),
            Paging::Done,
        );
        list.move_to(3);
        list.set_filter("user3");
        assert_eq!(list.visible.len(), 1);
        assert_eq!(
            list.selected_row().map(|r| r.identifier.as_str()),
            Some("user3@example.com")
        );
        list.set_filter("user");
        assert_eq!(list.visible.len(), 10);
        assert_eq!(list.selected, 3, "cursor stays on the same identity");
        list.set_filter("USER1");
        assert_eq!(list.visible.len(), 1, "filter is case-insensitive");
    }

    #[test]
    fn appended_pages_respect_the_filter() {
        let mut list = ListState::default();
        list.set_filter("b");
        list.append(vec![row(1, "a@x.io"), row(2, "b@x.io")], Paging::Done);
        assert_eq!(list.visible.len(), 1);
    }

    #[test]
    fn scrolling_follows_the_cursor() {
        let mut list = ListState::default();
        list.append((0..100).map(|i| row(i, "x@y.z")).collect(), Paging::Done);
        list.move_by(30);
        list.scroll_into_view(10);
        assert_eq!(list.offset, 21);
        list.move_by(-25);
        list.scroll_into_view(10);
        assert_eq!(list.offset, 5);
        list.move_by(1000);
        assert_eq!(list.selected, 99);
    }

    #[test]
    fn server_results_can_be_left_again_with_the_cursor_where_it_was() {
        let mut list = ListState::default();
        list.append(
            (0..5).map(|i| row(i, "x@y.z")).collect(),
            Paging::More(vec![("page_token".into(), "t".into())]),
        );
        list.move_to(3);
        list.show_search(super::search("q"), vec![row(9, "q@y.z")], Filter::default());
        assert_eq!(list.rows.len(), 1);
        assert_eq!(list.loaded_count(), 5, "the header still counts the full list");
        assert!(list.restore_full_list());
        assert_eq!(list.rows.len(), 5);
        assert_eq!(list.selected, 3, "back where the search started");
        assert!(matches!(list.paging, Paging::More(_)));
    }
}

/// A search that was just asked for `query`.
fn search(query: &str) -> crate::app::search::ServerSearch {
    crate::app::search::ServerSearch {
        query: query.into(),
        id: 1,
        exact: crate::app::search::Ask::Asking,
        cursor_in_flight: None,
        prefix_problem: None,
    }
}

mod search {
    use crate::app::list::*;
    use crate::app::rows::{Filter, IdentityRow};
    use serde_json::json;

    fn row(i: usize, email: &str) -> IdentityRow {
        IdentityRow::from_identity(
            &json!({"id": format!("00000000-0000-4000-8000-{i:012}"), "state": "active", "traits": {"email": email}}),
            None,
        )
    }

    #[test]
    fn a_page_arriving_during_server_results_goes_to_the_full_list() {
        let mut list = ListState::default();
        list.append(vec![row(0, "a@x.io")], Paging::Loading);
        list.show_search(super::search("b@x.io"), vec![row(7, "b@x.io")], Filter::default());
        list.append(vec![row(1, "c@x.io"), row(2, "d@x.io")], Paging::Done);
        assert_eq!(list.rows.len(), 1, "results stay the server's answer");
        assert_eq!(list.loaded_count(), 3);
        assert!(list.restore_full_list());
        assert_eq!(list.rows.len(), 3);
        assert_eq!(list.paging, Paging::Done);
    }

    #[test]
    fn a_typed_filter_does_not_pull_more_pages() {
        let mut list = ListState::default();
        list.append(
            vec![row(0, "a@x.io")],
            Paging::More(vec![("page_token".into(), "t".into())]),
        );
        assert!(list.wants_next_page());
        list.set_filter("zzz");
        assert!(!list.wants_next_page());
    }
}

mod terms {
    use crate::app::list::*;
    use crate::app::rows::{Filter, IdentityRow};
    use serde_json::json;

    fn row(i: usize, state: &str, schema: &str, email: &str) -> IdentityRow {
        IdentityRow::from_identity(
            &json!({"id": format!("00000000-0000-4000-8000-{i:012}"), "state": state,
                    "schema_id": schema, "traits": {"email": email}}),
            None,
        )
    }

    fn list() -> ListState {
        let mut list = ListState::default();
        list.append(
            vec![
                row(0, "active", "default", "ana@x.io"),
                row(1, "inactive", "default", "anabel@x.io"),
                row(2, "inactive", "Customer-v2", "bo@x.io"),
                row(3, "active", "customer-v2", "ana.b@y.io"),
            ],
            Paging::Done,
        );
        list
    }

    fn shown(list: &ListState) -> Vec<&str> {
        list.visible.iter().map(|&i| list.rows[i].identifier.as_str()).collect()
    }

    #[test]
    fn state_terms_match_the_state_exactly_where_free_text_does_not() {
        let mut list = list();
        list.set_filter("active");
        assert_eq!(shown(&list).len(), 4, "free text: \"inactive\" contains \"active\"");
        list.set_filter("state:active");
        assert_eq!(shown(&list), vec!["ana@x.io", "ana.b@y.io"]);
        list.set_filter("state:inactive");
        assert_eq!(shown(&list), vec!["anabel@x.io", "bo@x.io"]);
        list.set_filter("STATE:Inactive");
        assert_eq!(shown(&list).len(), 2, "key and value case-insensitive");
    }

    #[test]
    fn schema_terms_match_the_whole_schema_id() {
        let mut list = list();
        list.set_filter("schema:customer-v2");
        assert_eq!(shown(&list), vec!["bo@x.io", "ana.b@y.io"]);
        list.set_filter("schema:customer");
        assert!(shown(&list).is_empty(), "a part of a schema id is not that schema");
    }

    #[test]
    fn a_schema_id_beyond_ascii_matches_in_any_case() {
        let mut list = list();
        list.append(vec![row(9, "active", "Kunden-Ü", "ü@x.io")], Paging::Done);
        list.set_filter("schema:kunden-ü");
        assert_eq!(shown(&list), vec!["ü@x.io"]);
        list.set_filter("schema:KUNDEN-Ü");
        assert_eq!(shown(&list), vec!["ü@x.io"]);
    }

    #[test]
    fn terms_and_free_text_all_have_to_hold() {
        let mut list = list();
        list.set_filter("ana state:inactive");
        assert_eq!(shown(&list), vec!["anabel@x.io"]);
        list.set_filter("state:active ana schema:default");
        assert_eq!(shown(&list), vec!["ana@x.io"]);
        list.set_filter("state:active state:inactive");
        assert!(shown(&list).is_empty(), "two states cannot both hold");
    }

    #[test]
    fn a_term_still_being_typed_filters_nothing_yet() {
        let mut list = list();
        list.set_filter("state:");
        assert_eq!(shown(&list).len(), 4);
        list.set_filter("ana state:");
        assert_eq!(shown(&list).len(), 3);
    }

    #[test]
    fn narrowing_and_widening_give_what_a_fresh_filter_gives() {
        let typed = "ana state:inactive";
        let mut list = list();
        let mut prefix = String::new();
        for c in typed.chars() {
            prefix.push(c);
            list.set_filter(&prefix);
            let mut fresh = self::list();
            fresh.set_filter(&prefix);
            assert_eq!(shown(&list), shown(&fresh), "after typing {prefix:?}");
        }
        while !prefix.is_empty() {
            prefix.pop();
            list.set_filter(&prefix);
            let mut fresh = self::list();
            fresh.set_filter(&prefix);
            assert_eq!(shown(&list), shown(&fresh), "after erasing to {prefix:?}");
        }
    }

    #[test]
    fn the_filter_text_keeps_free_text_and_terms_apart() {
        let filter = Filter::parse("  state:inactive  sofia  schema:Default github:42 ");
        assert_eq!(filter.query(), "sofia github:42", "what Enter asks the server for");
        assert_eq!(filter.terms_text(), "state:inactive schema:Default");
        assert_eq!(filter.text(), "sofia github:42 state:inactive schema:Default");
        assert_eq!(filter.terms_only().text(), "state:inactive schema:Default");
        assert!(Filter::parse("   ").is_empty());
    }
}
