//! The wire names of the SDK's small enums (a state, a kind, a permission…): each has
//! `as_str()`; `display_as_str!` makes its `Display` print that, and `from_wire_name!` its
//! `FromStr` accept exactly that (anything else is `invalid_argument`, naming the known ones).

/// `Display` by `as_str()`, for each type given.
macro_rules! display_as_str {
    ($($t:ty),+ $(,)?) => {$(
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    )+};
}

/// `FromStr` from the exact wire name of one of `ALL` (case-sensitive, as the vendors
/// compare); `$what` names the thing in the error ("VideoSDK role"), `$known` lists the names.
macro_rules! from_wire_name {
    ($t:ty, $what:literal, $known:literal) => {
        impl std::str::FromStr for $t {
            type Err = $crate::error::Error;
            fn from_str(s: &str) -> $crate::error::Result<Self> {
                <$t>::ALL.into_iter().find(|v| v.as_str() == s).ok_or_else(|| {
                    $crate::error::Error::invalid_argument(format!(
                        concat!("unknown ", $what, " \"{}\" (known: ", $known, ")"),
                        $crate::error::scrub_short(s)
                    ))
                })
            }
        }
    };
}

pub(crate) use {display_as_str, from_wire_name};
