//! User accounts as writers give them.

use super::enums::Role;

/// A user to create; the password is checked against the policy.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub department: Option<String>,
    pub password: String,
    /// Whether the password is a one-time one, to change at first sign-in.
    pub must_change_password: bool,
}

/// Fields of a user to change; absent fields are left alone.
#[derive(Debug, Clone, Default)]
pub struct UserChanges {
    pub email: Option<String>,
    pub name: Option<String>,
    pub role: Option<Role>,
    /// `Some(None)` clears the department.
    pub department: Option<Option<String>>,
    /// Deactivating revokes every token of the user at once.
    pub active: Option<bool>,
    /// A new password; revokes the user's tokens.
    pub password: Option<String>,
}

/// A user changing their own password.
#[derive(Debug, Clone)]
pub struct PasswordChange {
    /// The password they signed in with.
    pub current_password: String,
    /// The new one, under the same policy as any password.
    pub new_password: String,
}
