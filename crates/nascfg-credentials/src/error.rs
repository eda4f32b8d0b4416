//! The crate's one error type, and the per-field validation errors.

use std::fmt;

/// One problem with one field: `field: message`, like TrueNAS's validation errors.
///
/// `field` is `name`, `provider`, or an attribute name such as `port`.
/// Messages never contain secret values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field the problem is about (`name`, `provider` or an attribute name).
    pub field: String,
    /// What is wrong, e.g. `must be between 1 and 65535 (got 70000)`.
    pub message: String,
}

impl FieldError {
    /// A problem with `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The field the problem is about.
    pub fn field(&self) -> &str {
        &self.field
    }

    /// What is wrong with it.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for FieldError {}

/// Every problem found in one validation, in field order.
///
/// `Display` prints one `field: message` line per problem.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ValidationErrors {
    errors: Vec<FieldError>,
}

impl ValidationErrors {
    /// No problems yet.
    pub fn new() -> ValidationErrors {
        ValidationErrors::default()
    }

    /// Adds a problem at the end.
    pub fn push(&mut self, error: FieldError) {
        self.errors.push(error);
    }

    /// The problems, in field order.
    pub fn iter(&self) -> std::slice::Iter<'_, FieldError> {
        self.errors.iter()
    }

    /// How many problems there are.
    pub fn len(&self) -> usize {
        self.errors.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// The problems about one field.
    pub fn for_field<'a>(&'a self, field: &'a str) -> impl Iterator<Item = &'a FieldError> + 'a {
        self.errors.iter().filter(move |e| e.field == field)
    }
}

impl From<FieldError> for ValidationErrors {
    fn from(error: FieldError) -> ValidationErrors {
        ValidationErrors {
            errors: vec![error],
        }
    }
}

impl From<Vec<FieldError>> for ValidationErrors {
    fn from(errors: Vec<FieldError>) -> ValidationErrors {
        ValidationErrors { errors }
    }
}

impl IntoIterator for ValidationErrors {
    type Item = FieldError;
    type IntoIter = std::vec::IntoIter<FieldError>;
    fn into_iter(self) -> Self::IntoIter {
        self.errors.into_iter()
    }
}

impl<'a> IntoIterator for &'a ValidationErrors {
    type Item = &'a FieldError;
    type IntoIter = std::slice::Iter<'a, FieldError>;
    fn into_iter(self) -> Self::IntoIter {
        self.errors.iter()
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationErrors {}

impl ValidationErrors {
    /// What the user can do next, for a `hint:` line.
    pub fn hint(&self) -> Option<&'static str> {
        Some("fix the fields listed above; `nascfg providers show TYPE` lists a provider's fields")
    }
}

/// Everything that can go wrong in this crate. Never carries a secret value.
///
/// Every variant has its guidance in [`Error::hint`], so a new variant does
/// not compile until it has one.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A provider type string that is not one of the 18.
    #[error("unknown provider {given:?} (known: {known})", known = crate::provider::known_types())]
    UnknownProvider {
        /// What was given (truncated when long).
        given: String,
    },
    /// The credential (or token, or key file) is invalid; every problem is listed.
    #[error("{0}")]
    Invalid(ValidationErrors),
    /// The input is not JSON at all.
    #[error("not valid JSON (line {line}, column {column})")]
    Json {
        /// Line of the syntax error (1-based).
        line: usize,
        /// Column of the syntax error (1-based).
        column: usize,
    },
    /// The input is JSON but not shaped like a credential document.
    #[error("not a credential document: {0}")]
    Shape(String),
}

impl Error {
    /// What the user can do next, for a `hint:` line.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            Error::UnknownProvider { .. } => Some("`nascfg providers` lists the 18 provider types"),
            Error::Invalid(errors) => errors.hint(),
            Error::Json { .. } => Some("correct the JSON at the line and column named"),
            Error::Shape(_) => Some(
                "give a TrueNAS API document: {\"name\": ..., \"provider\": {\"type\": \"S3\", ...}}; \
                 `nascfg providers show TYPE` lists the fields",
            ),
        }
    }
}

impl From<ValidationErrors> for Error {
    fn from(errors: ValidationErrors) -> Error {
        Error::Invalid(errors)
    }
}

impl From<serde_json::Error> for Error {
    /// Keeps only the position: serde's messages may quote the input.
    fn from(err: serde_json::Error) -> Error {
        Error::Json {
            line: err.line(),
            column: err.column(),
        }
    }
}
