//! The credentials form (`c`): a new password (sent as is, or hashed here
//! with argon2id first), a password hash to import, or an OIDC provider to
//! link. Passwords live in [`SecretInput`]s: never shown, logged or saved.

use crossterm::event::KeyEvent;

use super::forms::{FormOutput, SecretString, Submit};
use super::input::{KeyEffect, SecretInput, TextInput};

/// What the credentials form imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialMode {
    Password,
    Hash,
    Oidc,
}

impl CredentialMode {
    pub const ALL: [CredentialMode; 3] = [CredentialMode::Password, CredentialMode::Hash, CredentialMode::Oidc];

    pub fn title(self) -> &'static str {
        match self {
            CredentialMode::Password => "New password",
            CredentialMode::Hash => "Import a password hash",
            CredentialMode::Oidc => "Link an OIDC provider",
        }
    }
}

/// The fields of the credentials form, in Tab order per mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialField {
    Mode,
    Password,
    Confirm,
    HashLocally,
    Phc,
    Provider,
    Subject,
}

#[derive(Debug)]
pub struct CredentialsForm {
    pub mode: CredentialMode,
    pub focus: CredentialField,
    pub password: SecretInput,
    pub confirm: SecretInput,
    /// Hash the new password here with argon2id so the plaintext never leaves this host.
    pub hash_locally: bool,
    /// The password is being hashed here (the runtime does it, off the
    /// event loop); the review opens when the hash comes back.
    pub hashing: bool,
    pub phc: TextInput,
    pub provider: TextInput,
    pub subject: TextInput,
    /// The provider/subject pairs already linked (from the identity).
    pub linked: Vec<(String, String)>,
    /// The inline error at the field that is wrong.
    pub field_error: Option<(CredentialField, String)>,
    /// Ctrl-S has judged the hash once: from then on every change to it is
    /// judged at once, so its error always speaks of the hash as it is.
    hash_checked: bool,
    /// How many times text was typed or pasted into a field: tells whether
    /// the form changed since its write was sent.
    edits: u64,
    /// `edits` when `y` sent the form's change ([`CredentialsForm::mark_sent`]).
    sent_at: Option<u64>,
}

impl CredentialsForm {
    pub fn new(linked: Vec<(String, String)>) -> Self {
        Self {
            mode: CredentialMode::Password,
            focus: CredentialField::Password,
            password: SecretInput::default(),
            confirm: SecretInput::default(),
            hash_locally: false,
            hashing: false,
            phc: TextInput::default(),
            provider: TextInput::default(),
            subject: TextInput::default(),
            linked,
            field_error: None,
            hash_checked: false,
            edits: 0,
            sent_at: None,
        }
    }

    /// `y` sent what the form holds now.
    pub(super) fn mark_sent(&mut self) {
        self.sent_at = Some(self.edits);
    }

    /// A write on this identity landed. `linked`: the OIDC pairs the server
    /// now lists (`None` when its answer carried no credentials). When the
    /// form is exactly as it was sent, what it holds has landed: it is
    /// emptied, so the secret is dropped and nothing is left to lose or to
    /// send twice. Anything typed since is kept.
    pub(super) fn take_server_version(&mut self, linked: Option<Vec<(String, String)>>) {
        if let Some(linked) = linked {
            self.linked = linked;
        }
        if self.sent_at.take() == Some(self.edits) {
            let mode = self.mode;
            *self = Self::new(std::mem::take(&mut self.linked));
            self.mode = mode;
            self.focus = self.fields().get(1).copied().unwrap_or(CredentialField::Mode);
        }
    }

    pub fn fields(&self) -> &'static [CredentialField] {
        match self.mode {
            CredentialMode::Password => &[
                CredentialField::Mode,
                CredentialField::Password,
                CredentialField::Confirm,
                CredentialField::HashLocally,
            ],
            CredentialMode::Hash => &[CredentialField::Mode, CredentialField::Phc],
            CredentialMode::Oidc => &[
                CredentialField::Mode,
                CredentialField::Provider,
                CredentialField::Subject,
            ],
        }
    }

    /// True when something was typed (in any mode) that Esc would lose.
    pub fn modified(&self) -> bool {
        !self.password.is_empty()
            || !self.confirm.is_empty()
            || !self.phc.text().is_empty()
            || !self.provider.text().is_empty()
            || !self.subject.text().is_empty()
    }

    pub(super) fn move_focus(&mut self, forward: bool) {
        let fields = self.fields();
        let at = fields.iter().position(|f| *f == self.focus).unwrap_or(0);
        let next = if forward {
            (at + 1) % fields.len()
        } else {
            (at + fields.len() - 1) % fields.len()
        };
        self.focus = fields[next];
    }

    pub(super) fn switch_mode(&mut self, forward: bool) {
        let all = CredentialMode::ALL;
        let at = all.iter().position(|m| *m == self.mode).unwrap_or(0);
        self.mode = all[if forward {
            (at + 1) % all.len()
        } else {
            (at + all.len() - 1) % all.len()
        }];
        self.field_error = None;
    }

    /// An editing key into the focused text field.
    pub(super) fn type_key(&mut self, key: KeyEvent) {
        let effect = match self.focus {
            CredentialField::Password => self.password.on_key(key),
            CredentialField::Confirm => self.confirm.on_key(key),
            CredentialField::Phc => self.phc.on_key(key),
            CredentialField::Provider => self.provider.on_key(key),
            CredentialField::Subject => self.subject.on_key(key),
            CredentialField::Mode | CredentialField::HashLocally => KeyEffect::Ignored,
        };
        if effect == KeyEffect::Changed {
            self.changed(self.focus);
        }
    }

    /// Pasted text: its first line into the focused text field.
    pub(super) fn paste(&mut self, text: &str) {
        let line = text.lines().next().unwrap_or_default();
        match self.focus {
            CredentialField::Password => self.password.insert(line),
            CredentialField::Confirm => self.confirm.insert(line),
            CredentialField::Phc => self.phc.insert(line.trim()),
            CredentialField::Provider => self.provider.insert(line),
            CredentialField::Subject => self.subject.insert(line),
            CredentialField::Mode | CredentialField::HashLocally => return,
        }
        if !line.is_empty() {
            self.changed(self.focus);
        }
    }

    /// The text of `field` changed: an error shown about what was there
    /// before is stale. Once Ctrl-S has judged the hash, the hash is judged
    /// again at each change (its error says what is wrong with the hash as it
    /// is now, or goes when it is fixed); any other field's error goes until
    /// the next Ctrl-S.
    fn changed(&mut self, field: CredentialField) {
        self.edits += 1;
        if field == CredentialField::Phc && self.hash_checked {
            self.field_error = None;
            let hash = self.phc.text().trim();
            if !hash.is_empty()
                && let Err(err) = crate::hashes::check_importable(hash)
            {
                self.field_error = Some((CredentialField::Phc, err.to_string()));
            }
            return;
        }
        let Some((bad, _)) = &self.field_error else {
            return;
        };
        // The repeat is judged against the password, the subject with its
        // provider ("linked already").
        let related = *bad == field
            || matches!(
                (*bad, field),
                (CredentialField::Confirm, CredentialField::Password)
                    | (CredentialField::Subject, CredentialField::Provider)
            );
        if !related {
            return;
        }
        self.field_error = None;
    }

    /// Checks the fields of the current mode and says what to do next, or
    /// names the field that is wrong. Nothing typed is cleared either way.
    /// A password to hash here is handed back as [`Submit::Hash`]: the
    /// hashing is CPU work with OS randomness, done by the runtime.
    pub fn submit(&mut self) -> Option<Submit> {
        self.field_error = None;
        let fail = |form: &mut Self, field, message: &str| {
            form.field_error = Some((field, message.to_owned()));
            form.focus = field;
            None
        };
        match self.mode {
            CredentialMode::Password => {
                if self.password.is_empty() {
                    return fail(self, CredentialField::Password, "type the new password");
                }
                if self.password.expose() != self.confirm.expose() {
                    return fail(self, CredentialField::Confirm, "the two passwords differ");
                }
                let password = SecretString(self.password.expose().to_owned());
                if self.hash_locally {
                    Some(Submit::Hash(password))
                } else {
                    Some(Submit::Review(FormOutput::Password(password)))
                }
            }
            CredentialMode::Hash => {
                self.hash_checked = true;
                let hash = self.phc.text().trim().to_owned();
                if hash.is_empty() {
                    return fail(self, CredentialField::Phc, "paste the hash to import");
                }
                match crate::hashes::check_importable(&hash) {
                    Ok(()) => Some(Submit::Review(FormOutput::PasswordHash(hash))),
                    Err(err) => fail(self, CredentialField::Phc, &err.to_string()),
                }
            }
            CredentialMode::Oidc => {
                let provider = self.provider.text().trim().to_owned();
                let subject = self.subject.text().trim().to_owned();
                if provider.is_empty() {
                    return fail(
                        self,
                        CredentialField::Provider,
                        "the provider id is empty (e.g. google)",
                    );
                }
                if subject.is_empty() {
                    return fail(
                        self,
                        CredentialField::Subject,
                        "the subject is empty (the user's id at the provider)",
                    );
                }
                if self.linked.iter().any(|(p, s)| *p == provider && *s == subject) {
                    return fail(
                        self,
                        CredentialField::Subject,
                        "this provider and subject are linked already",
                    );
                }
                Some(Submit::Review(FormOutput::Oidc { provider, subject }))
            }
        }
    }

    /// The password hashed here came back: the output to review, or the
    /// reason at the "hash here" field.
    pub fn hashed(&mut self, result: Result<SecretString, String>) -> Option<FormOutput> {
        self.hashing = false;
        match result {
            Ok(hash) => Some(FormOutput::PasswordHash(hash.0.clone())),
            Err(error) => {
                self.field_error = Some((CredentialField::HashLocally, error));
                self.focus = CredentialField::HashLocally;
                None
            }
        }
    }
}
