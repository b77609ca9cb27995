//! The element tree that the tokenizer produces and the serializer writes.
//!
//! Strings are [`ByteString`]s: when the tokenizer did not have to unescape anything they are
//! slices of the one buffer that holds the stanza's bytes, so building a tree costs a refcount
//! bump per string instead of an allocation. Prefixes are not kept: XML Namespaces make them
//! meaningless, and the serializer picks its own minimal declarations.

use std::borrow::Cow;

pub use bytestring::ByteString;

/// The namespace bound to the `xml` prefix (XML Namespaces §3); `xml:lang` lives here.
pub const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";
/// The namespace of namespace declarations themselves (XML Namespaces §3).
pub const XMLNS_NS: &str = "http://www.w3.org/2000/xmlns/";

/// An attribute: an optional namespace (prefixed attributes), a local name and its unescaped value.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Attr {
    /// Namespace of a prefixed attribute; `None` for unprefixed ones (which are in no namespace).
    pub ns: Option<ByteString>,
    /// Local name.
    pub name: ByteString,
    /// Value, unescaped.
    pub value: ByteString,
}

impl Attr {
    /// An attribute in no namespace.
    pub fn new(name: impl Into<ByteString>, value: impl Into<ByteString>) -> Self {
        Self {
            ns: None,
            name: name.into(),
            value: value.into(),
        }
    }

    /// An attribute in namespace `ns` (serialized with a prefix).
    pub fn with_ns(
        ns: impl Into<ByteString>,
        name: impl Into<ByteString>,
        value: impl Into<ByteString>,
    ) -> Self {
        Self {
            ns: Some(ns.into()),
            name: name.into(),
            value: value.into(),
        }
    }
}

/// A child of an element: another element or a run of character data (unescaped).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Node {
    /// A child element.
    Element(Element),
    /// Character data, unescaped.
    Text(ByteString),
}

/// An XML element with its namespace resolved.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Element {
    ns: ByteString,
    name: ByteString,
    attrs: Vec<Attr>,
    children: Vec<Node>,
}

impl Element {
    /// A new, empty element `name` in namespace `ns`.
    pub fn new(ns: impl Into<ByteString>, name: impl Into<ByteString>) -> Self {
        Self {
            ns: ns.into(),
            name: name.into(),
            attrs: Vec::new(),
            children: Vec::new(),
        }
    }

    /// An element from all of its parts (used by the tokenizer).
    pub fn from_parts(
        ns: ByteString,
        name: ByteString,
        attrs: Vec<Attr>,
        children: Vec<Node>,
    ) -> Self {
        Self {
            ns,
            name,
            attrs,
            children,
        }
    }

    /// Takes the element apart: `(ns, name, attrs, children)`.
    pub fn into_parts(self) -> (ByteString, ByteString, Vec<Attr>, Vec<Node>) {
        (self.ns, self.name, self.attrs, self.children)
    }

    /// Local name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Namespace URI (empty string for no namespace).
    pub fn ns(&self) -> &str {
        &self.ns
    }

    /// The local name as a shared string (cheap to clone).
    pub fn name_str(&self) -> &ByteString {
        &self.name
    }

    /// The namespace as a shared string (cheap to clone).
    pub fn ns_str(&self) -> &ByteString {
        &self.ns
    }

    /// Whether this element is `name` in namespace `ns`.
    pub fn is(&self, name: &str, ns: &str) -> bool {
        *self.name == *name && *self.ns == *ns
    }

    /// Changes the element's namespace (e.g. `jabber:client` to `jabber:server` when routing).
    pub fn set_ns(&mut self, ns: impl Into<ByteString>) {
        self.ns = ns.into();
    }

    // ---- attributes ----

    /// All attributes, in document order.
    pub fn attrs(&self) -> &[Attr] {
        &self.attrs
    }

    /// All attributes, mutable.
    pub fn attrs_mut(&mut self) -> &mut Vec<Attr> {
        &mut self.attrs
    }

    /// Value of the unprefixed attribute `name`.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.ns.is_none() && *a.name == *name)
            .map(|a| &*a.value)
    }

    /// Value of the unprefixed attribute `name` as a shared string.
    pub fn attr_str(&self, name: &str) -> Option<&ByteString> {
        self.attrs
            .iter()
            .find(|a| a.ns.is_none() && *a.name == *name)
            .map(|a| &a.value)
    }

    /// Value of attribute `name` in namespace `ns`.
    pub fn attr_ns(&self, ns: &str, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.ns.as_deref() == Some(ns) && *a.name == *name)
            .map(|a| &*a.value)
    }

    /// `xml:lang`, if present on this element.
    pub fn lang(&self) -> Option<&str> {
        self.attr_ns(XML_NS, "lang")
    }

    /// Sets the unprefixed attribute `name`, replacing any previous value in place.
    pub fn set_attr(&mut self, name: impl Into<ByteString>, value: impl Into<ByteString>) {
        let name = name.into();
        let value = value.into();
        match self
            .attrs
            .iter_mut()
            .find(|a| a.ns.is_none() && a.name == name)
        {
            Some(a) => a.value = value,
            None => self.attrs.push(Attr {
                ns: None,
                name,
                value,
            }),
        }
    }

    /// Sets attribute `name` in namespace `ns`, replacing any previous value in place.
    pub fn set_attr_ns(
        &mut self,
        ns: impl Into<ByteString>,
        name: impl Into<ByteString>,
        value: impl Into<ByteString>,
    ) {
        let ns = ns.into();
        let name = name.into();
        let value = value.into();
        match self
            .attrs
            .iter_mut()
            .find(|a| a.ns.as_ref() == Some(&ns) && a.name == name)
        {
            Some(a) => a.value = value,
            None => self.attrs.push(Attr {
                ns: Some(ns),
                name,
                value,
            }),
        }
    }

    /// Removes the unprefixed attribute `name`, returning its value.
    pub fn remove_attr(&mut self, name: &str) -> Option<ByteString> {
        let i = self
            .attrs
            .iter()
            .position(|a| a.ns.is_none() && *a.name == *name)?;
        Some(self.attrs.remove(i).value)
    }

    /// Builder form of [`Element::set_attr`].
    #[must_use]
    pub fn with_attr(mut self, name: impl Into<ByteString>, value: impl Into<ByteString>) -> Self {
        self.set_attr(name, value);
        self
    }

    // ---- children ----

    /// All child nodes (elements and text), in document order.
    pub fn nodes(&self) -> &[Node] {
        &self.children
    }

    /// All child nodes, mutable.
    pub fn nodes_mut(&mut self) -> &mut Vec<Node> {
        &mut self.children
    }

    /// Child elements, in document order.
    pub fn children(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    /// Child elements, mutable.
    pub fn children_mut(&mut self) -> impl Iterator<Item = &mut Element> {
        self.children.iter_mut().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    /// The first child element `name` in namespace `ns`.
    pub fn get_child(&self, name: &str, ns: &str) -> Option<&Element> {
        self.children().find(|e| e.is(name, ns))
    }

    /// The first child element `name` in namespace `ns`, mutable.
    pub fn get_child_mut(&mut self, name: &str, ns: &str) -> Option<&mut Element> {
        self.children_mut().find(|e| e.is(name, ns))
    }

    /// Whether a child element `name` in namespace `ns` exists.
    pub fn has_child(&self, name: &str, ns: &str) -> bool {
        self.get_child(name, ns).is_some()
    }

    /// Removes and returns the first child element `name` in namespace `ns`.
    pub fn remove_child(&mut self, name: &str, ns: &str) -> Option<Element> {
        let i = self
            .children
            .iter()
            .position(|n| matches!(n, Node::Element(e) if e.is(name, ns)))?;
        match self.children.remove(i) {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        }
    }

    /// Appends a child element and returns it for further building.
    pub fn append_child(&mut self, child: Element) -> &mut Element {
        self.children.push(Node::Element(child));
        let Some(Node::Element(e)) = self.children.last_mut() else {
            unreachable!("an element was pushed on the line above")
        };
        e
    }

    /// Builder form of [`Element::append_child`].
    #[must_use]
    pub fn with_child(mut self, child: Element) -> Self {
        self.children.push(Node::Element(child));
        self
    }

    /// Appends character data (unescaped).
    pub fn append_text(&mut self, text: impl Into<ByteString>) {
        let text = text.into();
        if !text.is_empty() {
            self.children.push(Node::Text(text));
        }
    }

    /// Builder form of [`Element::append_text`].
    #[must_use]
    pub fn with_text(mut self, text: impl Into<ByteString>) -> Self {
        self.append_text(text);
        self
    }

    /// Replaces all children with one text node.
    pub fn set_text(&mut self, text: impl Into<ByteString>) {
        self.children.clear();
        self.append_text(text);
    }

    /// The concatenated character data directly inside this element (not in descendants).
    /// Borrowed when there is at most one text node.
    pub fn text(&self) -> Cow<'_, str> {
        let mut texts = self.children.iter().filter_map(|n| match n {
            Node::Text(t) => Some(&**t),
            Node::Element(_) => None,
        });
        let Some(first) = texts.next() else {
            return Cow::Borrowed("");
        };
        match texts.next() {
            None => Cow::Borrowed(first),
            Some(second) => {
                let mut s = String::with_capacity(first.len() + second.len());
                s.push_str(first);
                s.push_str(second);
                texts.for_each(|t| s.push_str(t));
                Cow::Owned(s)
            }
        }
    }

    /// Whether the element has no children at all.
    pub fn is_empty(&self) -> bool {
        self.children.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_are_replaced_in_place() {
        let mut e = Element::new("jabber:client", "message")
            .with_attr("to", "a@b")
            .with_attr("id", "1");
        e.set_attr("to", "c@d");
        assert_eq!(e.attr("to"), Some("c@d"));
        assert_eq!(e.attrs()[0].name, "to");
        assert_eq!(e.remove_attr("id").as_deref(), Some("1"));
        assert_eq!(e.attr("id"), None);
        e.set_attr_ns(XML_NS, "lang", "en");
        assert_eq!(e.lang(), Some("en"));
        assert_eq!(
            e.attr("lang"),
            None,
            "namespaced attribute is not the unprefixed one"
        );
    }

    #[test]
    fn children_and_text() {
        let mut e = Element::new("jabber:client", "message");
        e.append_child(Element::new("jabber:client", "body"))
            .append_text("hi");
        e.append_text("");
        assert_eq!(e.nodes().len(), 1, "empty text is not stored");
        let body = e.get_child("body", "jabber:client").map(Element::text);
        assert_eq!(body.as_deref(), Some("hi"));
        assert!(e.get_child("body", "other").is_none());
        let mut t = Element::new("", "x").with_text("a").with_text("b");
        assert_eq!(t.text(), "ab");
        t.set_text("c");
        assert_eq!(t.text(), "c");
        assert!(e.remove_child("body", "jabber:client").is_some());
        assert!(e.is_empty());
    }
}
