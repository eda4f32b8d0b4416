//! `Debug` for a type that holds secrets: written once as a macro, so every
//! crate shows such a value the same way.

/// Implements `Debug` for a struct that holds secrets (or parts that are not
/// `Debug`) by naming the fields it shows, as a struct pattern does: a field
/// by its name, or `label: |this| expression` for what stands in for it (a
/// length, a masked value). Ending the list with `..` prints `..` for the
/// fields left out (`finish_non_exhaustive`), so a field added later is never
/// printed by accident; without it the list claims to be complete.
///
/// ```
/// use nascfg_credentials::secrecy::SecretString;
///
/// struct Login {
///     user: String,
///     password: SecretString,
///     data: Vec<u8>,
/// }
/// nascfg_credentials::redacted_debug!(Login { user, len: |l| l.data.len(), .. });
///
/// let login = Login { user: "me".into(), password: "hunter2".into(), data: vec![1, 2] };
/// assert_eq!(format!("{login:?}"), r#"Login { user: "me", len: 2, .. }"#);
/// ```
#[macro_export]
macro_rules! redacted_debug {
    ($name:ident $(<$lt:lifetime>)? { $($label:ident $(: |$this:ident| $e:expr)?),* $(,)? }) => {
        $crate::redacted_debug!(@impl $name $(<$lt>)?, finish, $($label $(: |$this| $e)?),*);
    };
    ($name:ident $(<$lt:lifetime>)? { $($label:ident $(: |$this:ident| $e:expr)?,)* .. }) => {
        $crate::redacted_debug!(@impl $name $(<$lt>)?, finish_non_exhaustive, $($label $(: |$this| $e)?),*);
    };
    (@impl $name:ident $(<$lt:lifetime>)?, $finish:ident, $($label:ident $(: |$this:ident| $e:expr)?),*) => {
        impl $(<$lt>)? ::core::fmt::Debug for $name $(<$lt>)? {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.debug_struct(::core::stringify!($name))
                    $(.field(
                        ::core::stringify!($label),
                        $crate::redacted_debug!(@value self, $label $(, $this, $e)?),
                    ))*
                    .$finish()
            }
        }
    };
    (@value $self:ident, $label:ident) => {
        &$self.$label
    };
    (@value $self:ident, $label:ident, $this:ident, $e:expr) => {
        &{
            let $this = $self;
            $e
        }
    };
}
