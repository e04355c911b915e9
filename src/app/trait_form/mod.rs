//! The traits as a form built from the identity schema (`e`): one field per
//! member of `properties.traits`, in schema order, labelled with its title,
//! its description and rules as hints, Kratos's meaning of it (a sign-in
//! identifier, a verification or recovery address) said beside it, and its
//! problems next to it as you type.
//!
//! Pure state: keys come in as calls, nothing here draws or does I/O.
//! [`schema`] reads the schema into fields, [`value`] turns values into
//! fields and back (untouched fields keep the server's exact JSON),
//! [`validate`] checks the value with the `jsonschema` crate and words its
//! errors, [`layout`] lays the rows out as lines for a width (so scrolling
//! knows where the focused field is; `ui::trait_form` only paints them).
//!
//! The JSON editor is one key away (`editing` switches between the two on
//! the same value); what the form cannot show stays in JSON, with why.

pub mod layout;
pub mod schema;
pub mod validate;
pub mod value;

#[cfg(test)]
mod tests;

use crossterm::event::KeyEvent;
use serde_json::Value;

use self::schema::{Field, ObjectShape, Shape, TraitsSchema};
use self::validate::{Checker, FieldProblem};
use self::value::{Node, ObjectNode, TextKind, Typo};
use super::doc::Tone;
use super::input::KeyEffect;
use crate::sanitize::for_display;

/// One step from a group to what it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The n-th field of a group (schema order).
    Field(usize),
    /// The n-th item of a list.
    Item(usize),
    /// The n-th member of a group that the schema does not list.
    Extra(usize),
}

/// What a row of the form is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowKind {
    /// A group's heading (nested members follow, indented); not focusable.
    Group,
    /// A list's heading: items follow; Ctrl-N adds one.
    List,
    /// A typed field: text, a number, or a part edited as JSON.
    Text,
    /// A checkbox.
    Check,
    /// A choice list.
    Choice,
    /// A member the schema does not list: read-only.
    Extra,
}

impl RowKind {
    /// Whether the focus can rest on it.
    pub fn focusable(self) -> bool {
        self != RowKind::Group
    }
}

/// One row of the form, in the order shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub path: Vec<Step>,
    /// Where its value is in the traits (a JSON pointer below `/traits`).
    pub pointer: String,
    /// How deep it is nested (indentation).
    pub depth: usize,
    pub kind: RowKind,
}

/// What a row shows as its value, made safe to draw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shown {
    /// A group heading.
    Nothing,
    /// Typed text; `cursor` in display columns.
    Text {
        text: String,
        cursor: usize,
    },
    Check(Option<bool>),
    /// The choice made, and the open list (choices, the highlighted one).
    Choice {
        chosen: Option<String>,
        list: Option<(Vec<String>, usize)>,
    },
    /// How many items a list holds.
    Count(usize),
    /// A member not in the schema, as compact JSON.
    Extra(String),
}

/// A row in words: everything the layout puts on screen for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowView {
    pub label: String,
    pub required: bool,
    pub depth: usize,
    pub kind: RowKind,
    pub focused: bool,
    pub value: Shown,
    /// Hints: description, rules, Kratos's meaning, why a part is JSON.
    pub notes: Vec<(Tone, String)>,
    /// What is wrong with it, in plain words.
    pub problems: Vec<String>,
}

/// The traits form of one identity.
#[derive(Debug)]
pub struct TraitForm {
    schema: TraitsSchema,
    root: ObjectNode,
    /// The traits as the server holds them ([`TraitForm::modified`] compares
    /// with them).
    original: Value,
    checker: Checker,
    /// Index into [`TraitForm::rows`] of the focused row.
    focus: usize,
    /// The first line shown (see [`layout`]).
    pub scroll: usize,
    /// The open choice list's highlighted choice.
    choosing: Option<usize>,
    /// Typos and schema problems of what the form holds now.
    problems: Vec<FieldProblem>,
    /// What the last key could not do, for the bottom line.
    pub notice: Option<String>,
    /// What `y` sent ([`TraitForm::mark_sent`]), until its answer lands.
    sent: Option<Value>,
}

impl TraitForm {
    /// The form for the identity schema `schema` filled with `traits`
    /// (what the editor holds now) and compared with `original` (what the
    /// server holds); or why the traits cannot be a form.
    pub fn open(schema: &Value, traits: &Value, original: &Value) -> Result<TraitForm, String> {
        let read = schema::read(schema)?;
        let Some(members) = traits.as_object() else {
            return Err(format!(
                "the traits are {}, not a group of members",
                value::kind_of(traits)
            ));
        };
        let root = value::object_from(&read.root, Some(members));
        let mut form = TraitForm {
            schema: read,
            root,
            original: original.clone(),
            checker: Checker::new(schema),
            focus: 0,
            scroll: 0,
            choosing: None,
            problems: Vec::new(),
            notice: None,
            sent: None,
        };
        form.focus = form.rows().iter().position(|r| r.kind.focusable()).unwrap_or(0);
        form.recheck();
        Ok(form)
    }

    /// The value the form stands for and the typos that keep it from being
    /// sent (their fields are left out of the value).
    pub fn value(&self) -> (Value, Vec<Typo>) {
        let mut typos = Vec::new();
        let value = value::build_object(&self.schema.root, &self.root, "", &mut typos)
            .unwrap_or_else(|| Value::Object(serde_json::Map::new()));
        (value, typos)
    }

    /// True when the form says something else than the server holds (a
    /// typo counts: it is something typed).
    pub fn modified(&self) -> bool {
        let (value, typos) = self.value();
        !typos.is_empty() || value != self.original
    }

    /// The traits as the server holds them.
    pub fn original(&self) -> &Value {
        &self.original
    }

    /// Every problem now: typos first, then the schema's, by field order.
    pub fn problems(&self) -> &[FieldProblem] {
        &self.problems
    }

    /// Why the schema cannot check the traits here, when it cannot.
    pub fn checker_problem(&self) -> Option<&str> {
        self.checker.problem()
    }

    /// Checks the form again (after every change).
    fn recheck(&mut self) {
        let (value, typos) = self.value();
        let mut problems: Vec<FieldProblem> = typos
            .into_iter()
            .map(|typo| FieldProblem {
                pointer: typo.pointer,
                message: typo.message,
            })
            .collect();
        for problem in self.checker.check(&value) {
            // A field with a typo is left out of the value; the schema's
            // "required" about it says less than the typo.
            if !problems.iter().any(|p| p.pointer == problem.pointer) {
                problems.push(problem);
            }
        }
        let rows = self.rows();
        let order = |p: &FieldProblem| row_of(&rows, &p.pointer).unwrap_or(usize::MAX);
        problems.sort_by_key(|p| (order(p) != usize::MAX, order(p)));
        self.problems = problems;
    }

    /// The rows, in the order shown.
    pub fn rows(&self) -> Vec<Row> {
        let mut rows = Vec::new();
        object_rows(&self.schema.root, &self.root, &mut Vec::new(), "", 0, &mut rows);
        rows
    }

    /// Index into [`TraitForm::rows`] of the focused row.
    pub fn focus(&self) -> usize {
        self.focus
    }

    /// What the focused row is (`None` only for a form without rows).
    pub fn focused_kind(&self) -> Option<RowKind> {
        self.rows().get(self.focus).map(|row| row.kind)
    }

    /// Whether a choice list is open (it takes ↑/↓, Enter and Esc).
    pub fn choosing(&self) -> bool {
        self.choosing.is_some()
    }

    /// Problems with no field of their own (the traits as a whole).
    pub fn form_problems(&self) -> Vec<&FieldProblem> {
        let rows = self.rows();
        self.problems
            .iter()
            .filter(|p| row_of(&rows, &p.pointer).is_none())
            .collect()
    }

    /// Lines above the fields: what keeps the form from checking, and
    /// problems of the traits as a whole.
    pub fn banner(&self) -> Vec<(Tone, String)> {
        let mut lines = Vec::new();
        if let Some(why) = self.checker.problem() {
            lines.push((
                Tone::Bad,
                format!("The schema cannot check the traits here ({why}): only the server does."),
            ));
        }
        for problem in self.form_problems() {
            lines.push((Tone::Bad, format!("✗ traits: {}", problem.message)));
        }
        lines
    }

    /// The row `at` in words, ready for the layout.
    pub fn view(&self, rows: &[Row], at: usize) -> Option<RowView> {
        let row = rows.get(at)?;
        let located = locate(&self.schema.root, &self.root, &row.path)?;
        let focused = at == self.focus;
        let problems: Vec<String> = self
            .problems
            .iter()
            .filter(|p| row_of(rows, &p.pointer) == Some(at))
            .map(|p| p.message.clone())
            .collect();
        let item = row.path.last().and_then(|step| match step {
            Step::Item(n) => Some(n + 1),
            _ => None,
        });
        match located {
            Located::Extra(key, value) => Some(RowView {
                label: for_display(key).into_owned(),
                required: false,
                depth: row.depth,
                kind: row.kind,
                focused,
                value: Shown::Extra(crate::sanitize::json_inert_line(value).unwrap_or_default()),
                notes: vec![(
                    Tone::Bad,
                    "⚠ not in the identity schema: kept as it is, read-only here (Ctrl-J edits it as JSON)".into(),
                )],
                problems,
            }),
            Located::Field(field, node) => {
                let label = match item {
                    Some(n) => format!("#{n}"),
                    None => for_display(field.label()).into_owned(),
                };
                Some(RowView {
                    label,
                    required: field.required && item.is_none(),
                    depth: row.depth,
                    kind: row.kind,
                    focused,
                    value: self.shown(field, node, focused),
                    notes: notes(field, node, item.is_some()),
                    problems,
                })
            }
        }
    }

    fn shown(&self, field: &Field, node: &Node, focused: bool) -> Shown {
        match node {
            Node::Text(text) => {
                let typed = text.input.text();
                let prefix: String = typed.chars().take(text.input.cursor()).collect();
                let display = |s: &str| match text.kind {
                    TextKind::Json(_) => crate::sanitize::for_display_multiline(s),
                    _ => for_display(s).into_owned(),
                };
                Shown::Text {
                    text: display(typed),
                    cursor: unicode_width::UnicodeWidthStr::width(display(&prefix).as_str()),
                }
            }
            Node::Bool(check) => Shown::Check(check.value),
            Node::Choice(choice) => {
                let Shape::Choice(choices) = &field.shape else {
                    return Shown::Nothing;
                };
                let words: Vec<String> = choices.iter().map(choice_text).collect();
                // In the open list, the choice made so far says so.
                let listed = words
                    .iter()
                    .enumerate()
                    .map(|(at, word)| match choice.selected == Some(at) {
                        true => format!("{word} (chosen)"),
                        false => word.clone(),
                    })
                    .collect();
                Shown::Choice {
                    chosen: choice.selected.and_then(|at| words.get(at).cloned()),
                    list: self.choosing.filter(|_| focused).map(|at| (listed, at)),
                }
            }
            Node::List(list) => Shown::Count(list.items.len()),
            Node::Object(_) => Shown::Nothing,
        }
    }

    // ---- keys ---------------------------------------------------------------

    /// Tab/↓ (`forward`) or S-Tab/↑: the next focusable row.
    pub fn move_focus(&mut self, forward: bool) {
        let rows = self.rows();
        let mut at = self.focus;
        loop {
            at = match (forward, at) {
                (true, at) if at + 1 < rows.len() => at + 1,
                (false, at) if at > 0 => at - 1,
                _ => return,
            };
            if rows[at].kind.focusable() {
                self.focus = at;
                self.choosing = None;
                self.notice = None;
                return;
            }
        }
    }

    /// Puts the focus on the row of `pointer` (the first problem, say).
    pub fn focus_pointer(&mut self, pointer: &str) {
        let rows = self.rows();
        if let Some(at) = row_of(&rows, pointer).filter(|at| rows[*at].kind.focusable()) {
            self.focus = at;
            self.choosing = None;
        }
    }

    fn focused_node(&mut self) -> Option<&mut Node> {
        let path = self.rows().get(self.focus)?.path.clone();
        node_mut(&self.schema.root, &mut self.root, &path)
    }

    /// An editing key into the focused text field (Ctrl-U clears it, as in
    /// a shell); on a row that takes no typing it says why.
    pub fn type_key(&mut self, key: KeyEvent) {
        self.notice = None;
        let kind = self.focused_kind();
        let changed = match self.focused_node() {
            Some(Node::Text(text)) => text.input.on_key(key) == KeyEffect::Changed,
            _ => {
                self.notice = Some(match kind {
                    Some(RowKind::Extra) => {
                        "Not in the identity schema: read-only here; Ctrl-J edits it in the JSON editor".into()
                    }
                    Some(RowKind::List) => "A list: Ctrl-N adds an item, then type into it".into(),
                    _ => "This field takes no typing".into(),
                });
                false
            }
        };
        if changed {
            self.recheck();
        }
    }

    /// Pasted text into the focused text field (one line: line breaks become
    /// spaces, control characters are dropped).
    pub fn paste(&mut self, text: &str) {
        let line: String = text
            .chars()
            .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
            .collect();
        if let Some(Node::Text(field)) = self.focused_node() {
            field.input.insert(&line);
            self.recheck();
        }
    }

    /// Space on a checkbox: yes ↔ no (not set becomes yes).
    pub fn toggle(&mut self) {
        if let Some(Node::Bool(check)) = self.focused_node() {
            check.value = Some(!check.value.unwrap_or(false));
            self.recheck();
        }
    }

    /// Ctrl-U on a checkbox or a choice: not set (left out of the traits).
    pub fn unset(&mut self) {
        match self.focused_node() {
            Some(Node::Bool(check)) => check.value = None,
            Some(Node::Choice(choice)) => choice.selected = None,
            _ => return,
        }
        self.recheck();
    }

    /// Enter on a choice: opens its list at the current choice.
    pub fn open_choice(&mut self) {
        if let Some(Node::Choice(choice)) = self.focused_node() {
            let at = choice.selected.unwrap_or(0);
            self.choosing = Some(at);
        }
    }

    /// ↑/↓ in the open choice list.
    pub fn move_choice(&mut self, forward: bool) {
        let count = self.focused_choices();
        if let Some(at) = self.choosing.as_mut() {
            *at = if forward {
                (*at + 1).min(count.saturating_sub(1))
            } else {
                at.saturating_sub(1)
            };
        }
    }

    fn focused_choices(&self) -> usize {
        let rows = self.rows();
        let Some(row) = rows.get(self.focus) else {
            return 0;
        };
        match locate(&self.schema.root, &self.root, &row.path) {
            Some(Located::Field(field, _)) => match &field.shape {
                Shape::Choice(choices) => choices.len(),
                _ => 0,
            },
            _ => 0,
        }
    }

    /// Enter in the open choice list: takes the highlighted choice.
    pub fn pick_choice(&mut self) {
        let Some(at) = self.choosing.take() else {
            return;
        };
        if let Some(Node::Choice(choice)) = self.focused_node() {
            choice.selected = Some(at);
            self.recheck();
        }
    }

    /// Esc in the open choice list: closes it, the choice as it was.
    pub fn close_choice(&mut self) {
        self.choosing = None;
    }

    /// The list the focused row belongs to (its path) and the item it is
    /// in, if any (`None` on the list's heading).
    fn focused_list(&self) -> Option<(Vec<Step>, Option<usize>)> {
        let rows = self.rows();
        let row = rows.get(self.focus)?;
        if row.kind == RowKind::List {
            return Some((row.path.clone(), None));
        }
        let at = row.path.iter().rposition(|step| matches!(step, Step::Item(_)))?;
        let Step::Item(item) = row.path[at] else {
            return None;
        };
        Some((row.path[..at].to_vec(), Some(item)))
    }

    /// Ctrl-N: a new, empty item after the focused one (at the end on the
    /// list's heading), focused.
    pub fn add_item(&mut self) {
        self.notice = None;
        let Some((list_path, item)) = self.focused_list() else {
            self.notice = Some("Not in a list: Ctrl-N adds an item to a list".into());
            return;
        };
        let Some(Located::Field(field, _)) = locate(&self.schema.root, &self.root, &list_path) else {
            return;
        };
        let Shape::List(shape) = &field.shape else {
            return;
        };
        let fresh = value::from_value(&shape.item, None);
        let Some(Node::List(list)) = node_mut(&self.schema.root, &mut self.root, &list_path) else {
            return;
        };
        let at = item.map_or(list.items.len(), |i| (i + 1).min(list.items.len()));
        list.items.insert(at, fresh);
        let mut path = list_path;
        path.push(Step::Item(at));
        self.focus_path_or_after(&path);
        self.recheck();
    }

    /// Ctrl-D: removes the item the focus is in; the focus goes to the
    /// next item, else the list's heading.
    pub fn remove_item(&mut self) {
        self.notice = None;
        let Some((list_path, Some(item))) = self.focused_list() else {
            self.notice = Some("Not a list item: Ctrl-D removes the list item the cursor is in".into());
            return;
        };
        let Some(Node::List(list)) = node_mut(&self.schema.root, &mut self.root, &list_path) else {
            return;
        };
        list.items.remove(item);
        let remaining = list.items.len();
        let mut path = list_path.clone();
        if item < remaining {
            path.push(Step::Item(item));
            self.focus_path_or_after(&path);
        } else {
            self.focus_path_or_after(&list_path);
        }
        self.choosing = None;
        self.recheck();
    }

    /// Focuses the first focusable row at or inside `path`.
    fn focus_path_or_after(&mut self, path: &[Step]) {
        let rows = self.rows();
        if let Some(at) = rows
            .iter()
            .position(|row| row.path.starts_with(path) && row.kind.focusable())
        {
            self.focus = at;
        }
    }

    // ---- review, drafts, landed writes ---------------------------------------

    /// Ctrl-S: the value to review, or why not (the focus goes to the first
    /// invalid field).
    pub fn submit(&mut self) -> Result<Value, String> {
        self.recheck();
        let (value, _) = self.value();
        let Some(first) = self.problems.first().cloned() else {
            return Ok(value);
        };
        self.focus_pointer(&first.pointer);
        let label = self.label_of(&first.pointer);
        let more = match self.problems.len() - 1 {
            0 => String::new(),
            1 => " (and 1 more field)".to_owned(),
            n => format!(" (and {n} more)"),
        };
        Err(format!("{label}: {}{more}: fix it first", first.message))
    }

    /// What the form calls the field of `pointer` (made safe to draw), for
    /// messages that point at it; "the traits" for the whole.
    pub fn label_of(&self, pointer: &str) -> String {
        let rows = self.rows();
        row_of(&rows, pointer)
            .and_then(|at| self.view(&rows, at))
            .map_or_else(|| "the traits".to_owned(), |view| view.label)
    }

    /// What was typed, as a draft keeps it ([`value::typed`]).
    pub fn typed(&self) -> Value {
        value::typed_object(&self.schema.root, &self.root)
    }

    /// Puts a draft's [`TraitForm::typed`] back; texts that are `skip` (a
    /// secret the draft did not keep) stay as opened. Returns how many.
    pub fn restore_typed(&mut self, typed: &Value, skip: &str) -> usize {
        let skipped = value::restore_object(&self.schema.root, &mut self.root, typed, skip);
        let focusable = self.rows().iter().position(|r| r.kind.focusable()).unwrap_or(0);
        self.focus = focusable;
        self.recheck();
        skipped
    }

    /// `y` sent what the form holds now.
    pub fn mark_sent(&mut self) {
        self.sent = Some(self.value().0);
    }

    /// A write landed and the server holds `traits`: the form follows it when
    /// it still holds what was sent (or, with no send from here, nothing
    /// typed); otherwise what was typed stays and is compared with it.
    pub fn take_server_version(&mut self, traits: &Value) {
        let (now, typos) = self.value();
        let follows = typos.is_empty()
            && match self.sent.take() {
                Some(sent) => sent == now,
                None => now == self.original,
            };
        self.original = traits.clone();
        if follows && let Some(members) = traits.as_object() {
            let focus = self.focus;
            self.root = value::object_from(&self.schema.root, Some(members));
            let rows = self.rows();
            self.focus = if rows.get(focus).is_some_and(|r| r.kind.focusable()) {
                focus
            } else {
                rows.iter().position(|r| r.kind.focusable()).unwrap_or(0)
            };
            self.choosing = None;
        }
        self.recheck();
    }

    /// Scrolls so the focused row shows in `viewport` lines of `width`.
    pub fn keep_in_view(&mut self, width: usize, viewport: usize) {
        let laid = layout::lay_out(self, width);
        self.scroll = layout::top_for(self.scroll, &laid, self.focus, viewport);
    }
}

/// A choice's value as the list shows it.
fn choice_text(value: &Value) -> String {
    match value {
        Value::String(s) => for_display(s).into_owned(),
        other => for_display(&other.to_string()).into_owned(),
    }
}

/// The row whose value `pointer` is, else the nearest row above it.
fn row_of(rows: &[Row], pointer: &str) -> Option<usize> {
    let mut best: Option<(usize, usize)> = None;
    for (at, row) in rows.iter().enumerate() {
        let inside = pointer == row.pointer
            || (pointer.starts_with(&row.pointer) && pointer[row.pointer.len()..].starts_with('/'));
        if inside && !row.pointer.is_empty() && best.is_none_or(|(len, _)| row.pointer.len() > len) {
            best = Some((row.pointer.len(), at));
        }
    }
    best.map(|(_, at)| at)
}

/// What a row holds, found by its path.
enum Located<'a> {
    Field(&'a Field, &'a Node),
    Extra(&'a str, &'a Value),
}

fn locate<'a>(shape: &'a ObjectShape, node: &'a ObjectNode, path: &[Step]) -> Option<Located<'a>> {
    let (first, rest) = path.split_first()?;
    match *first {
        Step::Extra(at) => {
            let (key, value) = node.extras.get(at)?;
            rest.is_empty().then_some(Located::Extra(key, value))
        }
        Step::Item(_) => None,
        Step::Field(at) => {
            let field = shape.fields.get(at)?;
            let child = node.fields.get(at)?;
            locate_in(field, child, rest)
        }
    }
}

fn locate_in<'a>(field: &'a Field, node: &'a Node, path: &[Step]) -> Option<Located<'a>> {
    let Some((first, rest)) = path.split_first() else {
        return Some(Located::Field(field, node));
    };
    match (node, &field.shape, *first) {
        (Node::Object(object), Shape::Object(shape), _) => locate(shape, object, path),
        (Node::List(list), Shape::List(shape), Step::Item(at)) => locate_in(&shape.item, list.items.get(at)?, rest),
        _ => None,
    }
}

fn node_mut<'a>(shape: &ObjectShape, node: &'a mut ObjectNode, path: &[Step]) -> Option<&'a mut Node> {
    let (first, rest) = path.split_first()?;
    let Step::Field(at) = *first else {
        return None;
    };
    let field = shape.fields.get(at)?;
    node_mut_in(field, node.fields.get_mut(at)?, rest)
}

fn node_mut_in<'a>(field: &Field, node: &'a mut Node, path: &[Step]) -> Option<&'a mut Node> {
    let Some((first, rest)) = path.split_first() else {
        return Some(node);
    };
    match (node, &field.shape, *first) {
        (Node::Object(object), Shape::Object(shape), _) => node_mut(shape, object, path),
        (Node::List(list), Shape::List(shape), Step::Item(at)) => {
            node_mut_in(&shape.item, list.items.get_mut(at)?, rest)
        }
        _ => None,
    }
}

fn object_rows(
    shape: &ObjectShape,
    node: &ObjectNode,
    path: &mut Vec<Step>,
    pointer: &str,
    depth: usize,
    out: &mut Vec<Row>,
) {
    for (at, (field, child)) in shape.fields.iter().zip(&node.fields).enumerate() {
        path.push(Step::Field(at));
        field_rows(
            field,
            child,
            path,
            &value::child_pointer(pointer, &field.name),
            depth,
            out,
        );
        path.pop();
    }
    for (at, (key, _)) in node.extras.iter().enumerate() {
        path.push(Step::Extra(at));
        out.push(Row {
            path: path.clone(),
            pointer: value::child_pointer(pointer, key),
            depth,
            kind: RowKind::Extra,
        });
        path.pop();
    }
}

fn field_rows(field: &Field, node: &Node, path: &mut Vec<Step>, pointer: &str, depth: usize, out: &mut Vec<Row>) {
    let row = |kind| Row {
        path: path.clone(),
        pointer: pointer.to_owned(),
        depth,
        kind,
    };
    match (node, &field.shape) {
        (Node::Object(object), Shape::Object(shape)) => {
            out.push(row(RowKind::Group));
            object_rows(shape, object, path, pointer, depth + 1, out);
        }
        (Node::List(list), Shape::List(shape)) => {
            out.push(row(RowKind::List));
            for (at, item) in list.items.iter().enumerate() {
                path.push(Step::Item(at));
                field_rows(
                    &shape.item,
                    item,
                    path,
                    &value::child_pointer(pointer, &at.to_string()),
                    depth + 1,
                    out,
                );
                path.pop();
            }
        }
        (Node::Bool(_), _) => out.push(row(RowKind::Check)),
        (Node::Choice(_), _) => out.push(row(RowKind::Choice)),
        _ => out.push(row(RowKind::Text)),
    }
}

/// The hints of a field: description, what it takes, Kratos's meaning, why
/// it is JSON, and what emptying it does.
fn notes(field: &Field, node: &Node, item: bool) -> Vec<(Tone, String)> {
    let mut notes = Vec::new();
    if let Some(description) = field.description.as_deref().filter(|d| !d.trim().is_empty()) {
        notes.push((Tone::Muted, for_display(description.trim()).into_owned()));
    }
    let rule = match (&field.shape, node) {
        (_, Node::Text(text)) if matches!(text.kind, TextKind::Json(_)) => None,
        (Shape::Text(rules), _) => {
            let mut parts = Vec::new();
            if let Some(format) = &rules.format {
                parts.push(validate::format_hint(format));
            }
            match (rules.min_length, rules.max_length) {
                (Some(min), Some(max)) => parts.push(format!("{min} to {max} characters")),
                (Some(min), None) => parts.push(format!("at least {min} characters")),
                (None, Some(max)) => parts.push(format!("at most {max} characters")),
                (None, None) => {}
            }
            if let Some(pattern) = &rules.pattern {
                parts.push(format!("matches {}", for_display(pattern)));
            }
            (!parts.is_empty()).then(|| parts.join(" · "))
        }
        (Shape::Number(rules), _) => {
            let mut parts = vec![if rules.integer { "a whole number" } else { "a number" }.to_owned()];
            let bound = |v: &Option<Value>| v.as_ref().map(Value::to_string);
            if let Some(min) = bound(&rules.minimum) {
                parts.push(format!("from {min}"));
            }
            if let Some(min) = bound(&rules.exclusive_minimum) {
                parts.push(format!("more than {min}"));
            }
            if let Some(max) = bound(&rules.maximum) {
                parts.push(format!("up to {max}"));
            }
            if let Some(max) = bound(&rules.exclusive_maximum) {
                parts.push(format!("less than {max}"));
            }
            if let Some(step) = bound(&rules.multiple_of) {
                parts.push(format!("a multiple of {step}"));
            }
            Some(parts.join(" "))
        }
        (Shape::Bool, _) => Some("space toggles yes / no · Ctrl-U: not set (left out)".into()),
        (Shape::Choice(choices), _) => Some(format!(
            "one of {} choices · Enter opens the list · Ctrl-U: not set",
            choices.len()
        )),
        (Shape::List(list), _) => {
            let mut text = "Ctrl-N adds an item, Ctrl-D removes the one the cursor is in".to_owned();
            match (list.min_items, list.max_items) {
                (Some(min), Some(max)) => text.push_str(&format!(" · {min} to {max} items")),
                (Some(min), None) => text.push_str(&format!(" · at least {min} items")),
                (None, Some(max)) => text.push_str(&format!(" · at most {max} items")),
                (None, None) => {}
            }
            Some(text)
        }
        _ => None,
    };
    if let Some(rule) = rule {
        notes.push((Tone::Muted, rule));
    }
    if !field.kratos.identifier.is_empty() {
        notes.push((
            Tone::Label,
            format!(
                "sign-in identifier ({}): this is what the person signs in with",
                field.kratos.identifier.join(", ")
            ),
        ));
    }
    let address = match (&field.kratos.verification, &field.kratos.recovery) {
        (Some(v), Some(r)) if v == r => Some(format!("verification and recovery address (by {v})")),
        (Some(v), Some(r)) => Some(format!("verification address (by {v}), recovery address (by {r})")),
        (Some(v), None) => Some(format!("verification address (by {v})")),
        (None, Some(r)) => Some(format!("recovery address (by {r})")),
        (None, None) => None,
    };
    // Kratos keeps an address it already holds (same value and channel) and
    // makes any other a new one, unverified (`identity/extension_verification.go`
    // `SchemaExtensionVerification.appendAddress`, `identity/identity_verification.go`
    // `NewVerifiableAddress`; recovery: `identity/extension_recovery.go`).
    if let Some(address) = address {
        notes.push((
            Tone::Label,
            format!("{address}: a changed value becomes a new, unverified address"),
        ));
    }
    if let Node::Text(text) = node {
        if let TextKind::Json(why) = &text.kind {
            notes.push((Tone::Bad, format!("edited as JSON: {why}")));
        }
        let emptied = text.input.text().is_empty();
        if emptied && !item && !field.required && text.touched() {
            notes.push((Tone::Muted, "empty: left out of the traits, not sent as \"\"".into()));
        } else if emptied && item && text.touched() {
            notes.push((Tone::Muted, "empty: this item is left out".into()));
        }
    }
    notes
}
