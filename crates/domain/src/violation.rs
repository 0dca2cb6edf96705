//! Validation failures, collected per field so a client learns about every
//! problem of a request at once.

/// One invalid field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Dotted path, e.g. `billing.address.country`.
    pub field: String,
    /// Stable machine-readable reason.
    pub code: &'static str,
    pub message: String,
}

/// Every violation found in one request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Violations(pub Vec<Violation>);

impl Violations {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(
        &mut self,
        field: impl Into<String>,
        code: &'static str,
        message: impl Into<String>,
    ) {
        self.0.push(Violation {
            field: field.into(),
            code,
            message: message.into(),
        });
    }

    /// Records the error of `result` under `field`, returning the value if any.
    pub fn check<T>(
        &mut self,
        field: &str,
        result: Result<T, (&'static str, String)>,
    ) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err((code, message)) => {
                self.add(field, code, message);
                None
            }
        }
    }

    /// Adds the violations of a nested object, prefixing their fields.
    pub fn nest(&mut self, prefix: &str, inner: Violations) {
        for v in inner.0 {
            self.0.push(Violation {
                field: format!("{prefix}.{}", v.field),
                ..v
            });
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(value)` when nothing was recorded.
    pub fn into_result<T>(self, value: impl FnOnce() -> T) -> Result<T, Violations> {
        if self.0.is_empty() {
            Ok(value())
        } else {
            Err(self)
        }
    }
}
