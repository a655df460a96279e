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
