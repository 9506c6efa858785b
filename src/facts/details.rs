//! Fields most objects leave empty, kept behind one pointer.
//!
//! A scan of 150,000 pods keeps 150,000 `ObjectMeta`, `PodSpec` and `PodStatus` values, and for
//! most of them (the pods the sieve keeps as **other** pods, see `facts::share`) only a few fields
//! hold anything: name, namespace, labels, node, containers, phase. Each of those types keeps those
//! fields inline and the rest in a [`Details`]: nothing when every one of them is empty (the
//! common case), else one box. The type dereferences to its details, so `pod.spec.tolerations`
//! reads as before; an empty [`Details`] reads as the shared empty value of its type.

/// A type whose empty (default) value can be shared: [`Details`] points there when it holds none.
pub trait SharedEmpty: Default + PartialEq + 'static {
    fn empty() -> &'static Self;
}

/// `details_of!(Object => ObjectDetails)`: `Object` (a struct with a `details: Details<ObjectDetails>`
/// field) dereferences to its details, and `ObjectDetails` (`Default + PartialEq + Sync`) shares one
/// empty value.
#[macro_export]
macro_rules! details_of {
    ($($object:ty => $details:ty),* $(,)?) => {$(
        impl $crate::facts::details::SharedEmpty for $details {
            fn empty() -> &'static Self {
                static EMPTY: std::sync::LazyLock<$details> =
                    std::sync::LazyLock::new(<$details>::default);
                &EMPTY
            }
        }

        impl std::ops::Deref for $object {
            type Target = $details;
            fn deref(&self) -> &$details {
                self.details.get()
            }
        }

        impl std::ops::DerefMut for $object {
            fn deref_mut(&mut self) -> &mut $details {
                self.details.get_mut()
            }
        }
    )*};
}

/// The details of an object: `None` while they are all empty; see the module documentation.
#[derive(Clone, Default)]
pub struct Details<T>(Option<Box<T>>);

impl<T: SharedEmpty> Details<T> {
    /// Keeps `value`, or nothing when it is empty.
    pub fn new(value: T) -> Self {
        if value == T::default() {
            Details(None)
        } else {
            Details(Some(Box::new(value)))
        }
    }

    pub fn get(&self) -> &T {
        self.0.as_deref().unwrap_or_else(|| T::empty())
    }

    /// The details for changing them (made when there were none).
    pub fn get_mut(&mut self) -> &mut T {
        self.0.get_or_insert_with(Box::default)
    }
}

impl<T: SharedEmpty> PartialEq for Details<T> {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl<T: SharedEmpty + std::fmt::Debug> std::fmt::Debug for Details<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.get().fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default, PartialEq)]
    struct Rare {
        words: Vec<String>,
    }
    #[derive(Default)]
    struct Object {
        details: Details<Rare>,
    }
    crate::details_of!(Object => Rare);

    #[test]
    fn empty_details_take_no_box_and_read_as_the_empty_value() {
        let none = Details::new(Rare::default());
        assert!(none.0.is_none());
        assert!(none.get().words.is_empty());
        let some = Details::new(Rare {
            words: vec!["x".into()],
        });
        assert!(some.0.is_some());
        assert_eq!(some.get().words, ["x"]);
        let mut made = Details::<Rare>::default();
        made.get_mut().words.push("y".into());
        assert_ne!(made, none);
        assert_eq!(Details::<Rare>::default(), none);
        let mut object = Object::default();
        assert!(object.words.is_empty() && object.details.0.is_none());
        object.words.push("z".into());
        assert_eq!(object.details.get().words, ["z"]);
    }
}
