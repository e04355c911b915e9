//! The list as a data structure: filtering, paging, server results.

mod basics {
    use crate::app::list::*;
    use crate::app::rows::IdentityRow;
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
    fn server_results_can_be_left_again() {
        let mut list = ListState {
            paging: Paging::More(vec![("page_token".into(), "t".into())]),
            ..Default::default()
        };
        list.append(
            (0..5).map(|i| row(i, "x@y.z")).collect(),
            Paging::More(vec![("page_token".into(), "t".into())]),
        );
        list.show_server_results("q".into(), vec![row(9, "q@y.z")]);
        assert_eq!(list.rows.len(), 1);
        assert!(!list.wants_next_page());
        assert!(list.restore_full_list());
        assert_eq!(list.rows.len(), 5);
        assert!(matches!(list.paging, Paging::More(_)));
    }
}

mod search {
    use crate::app::list::*;
    use crate::app::rows::IdentityRow;
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
        list.show_server_results("b@x.io".into(), vec![row(7, "b@x.io")]);
        list.append(vec![row(1, "c@x.io"), row(2, "d@x.io")], Paging::Done);
        assert_eq!(list.rows.len(), 1, "results stay the server's answer");
        assert_eq!(list.loaded_count(), 3);
        assert!(list.restore_full_list());
        assert_eq!(list.rows.len(), 3);
        assert_eq!(list.paging, Paging::Done);
    }

    #[test]
    fn local_matches_stay_openable_under_server_results() {
        let mut list = ListState::default();
        list.append(
            vec![row(0, "ana@x.io"), row(1, "anabel@x.io"), row(2, "bo@x.io")],
            Paging::Done,
        );
        list.set_filter("ana");
        list.show_server_results("ana".into(), Vec::new());
        let shown: Vec<&str> = list.rows.iter().map(|r| r.identifier.as_str()).collect();
        assert_eq!(shown, vec!["ana@x.io", "anabel@x.io"]);
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
