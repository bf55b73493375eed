//! Refuses PDFs whose structure would make pdf-extract recurse without end or do
//! exponential work, before pdf-extract sees them.
//!
//! pdf-extract runs a form XObject's `Do` by calling itself on the form's content, with
//! no depth limit and no cycle check, and it looks up inherited page attributes by
//! recursing up the `/Parent` chain. A form that draws itself, or a page whose parent
//! chain loops, overflows the stack; a stack overflow aborts the whole process (it is
//! not a panic that a worker thread could contain). Forms that draw other forms many
//! times each multiply the work at every level. So the same walk pdf-extract would make
//! is made here first, without running any drawing operator, and with each (form,
//! resources) pair costed once so the walk itself stays linear in the file.

use std::collections::{HashMap, HashSet};

use pdf_extract::content::Content;
use pdf_extract::{Dictionary, Document, Object, Stream};

/// Real documents nest forms a few levels deep; poppler gives up at a similar depth.
pub(crate) const MAX_FORM_DEPTH: usize = 16;
/// Content operators pdf-extract may run for the whole document, counting every
/// repetition of a form. Large real reports stay well below this.
pub(crate) const MAX_OPERATIONS: u64 = 10_000_000;
/// Page trees are a handful of levels deep; pdf-extract recurses once per level.
const MAX_PARENT_CHAIN: usize = 64;

#[derive(Debug, thiserror::Error, PartialEq)]
pub(crate) enum StructureError {
    #[error("a form XObject draws itself")]
    FormCycle,
    #[error("form XObjects are nested more than {MAX_FORM_DEPTH} levels deep")]
    FormsTooDeep,
    #[error("drawing the pages would take more than {MAX_OPERATIONS} content operations")]
    TooMuchWork,
    #[error("the page tree's /Parent links loop or are more than {MAX_PARENT_CHAIN} deep")]
    ParentChain,
}

/// Checks every page the way pdf-extract will draw it.
pub(crate) fn check(document: &Document) -> Result<(), StructureError> {
    let empty = Dictionary::new();
    let mut walk = Walk {
        document,
        forms: HashMap::new(),
        costs: HashMap::new(),
        active: HashSet::new(),
        total: 0,
    };
    for page_id in document.page_iter() {
        let Ok(page) = document.get_dictionary(page_id) else {
            continue;
        };
        let resources = inherited_resources(document, page)?.unwrap_or(&empty);
        // pdf-extract reads the page's streams joined, so they are scanned joined too.
        let Ok(content) = document.get_page_content(page_id) else {
            continue;
        };
        let page_cost = walk.content_cost(&Drawn::decode(&content), resources, 0)?;
        walk.spend(page_cost)?;
    }
    Ok(())
}

/// The page's `/Resources`, searched up the `/Parent` chain as pdf-extract searches it.
/// The chain must end: pdf-extract also looks up `/MediaBox` this way and would
/// recurse forever on a loop.
fn inherited_resources<'a>(
    document: &'a Document,
    page: &'a Dictionary,
) -> Result<Option<&'a Dictionary>, StructureError> {
    let mut found = None;
    let mut node = page;
    let mut seen = HashSet::from([std::ptr::from_ref(page)]);
    loop {
        if found.is_none() {
            found = node
                .get(b"Resources")
                .ok()
                .and_then(|o| deref(document, o).as_dict().ok());
        }
        let Some(parent) = node
            .get(b"Parent")
            .and_then(Object::as_reference)
            .and_then(|id| document.get_dictionary(id))
            .ok()
        else {
            return Ok(found);
        };
        if !seen.insert(std::ptr::from_ref(parent)) || seen.len() > MAX_PARENT_CHAIN {
            return Err(StructureError::ParentChain);
        }
        node = parent;
    }
}

fn deref<'a>(document: &'a Document, object: &'a Object) -> &'a Object {
    match object {
        Object::Reference(id) => document.get_object(*id).unwrap_or(object),
        _ => object,
    }
}

/// What one content stream does that matters here: how many operators it runs and
/// which XObjects it draws.
struct Drawn {
    operations: u64,
    names: Vec<Vec<u8>>,
}

impl Drawn {
    fn decode(content: &[u8]) -> Self {
        // Content pdf-extract cannot decode makes it fail on its own; nothing to walk.
        let Ok(content) = Content::decode(content) else {
            return Self {
                operations: 0,
                names: Vec::new(),
            };
        };
        let names = content
            .operations
            .iter()
            .filter(|op| op.operator == "Do")
            .filter_map(|op| op.operands.first()?.as_name().ok().map(<[u8]>::to_vec))
            .collect();
        Self {
            operations: content.operations.len() as u64,
            names,
        }
    }
}

/// Identity of a borrowed PDF object: the document is not changed during the walk, so
/// an address names one object.
type Key = (*const Stream, *const Dictionary);

struct Walk<'a> {
    document: &'a Document,
    /// Each form's content, decoded once however often it is drawn.
    forms: HashMap<*const Stream, std::rc::Rc<Drawn>>,
    /// Operations one drawing of a form costs, with the resources it is drawn with.
    costs: HashMap<Key, u64>,
    /// The forms being costed: meeting one again means it draws itself.
    active: HashSet<Key>,
    total: u64,
}

impl<'a> Walk<'a> {
    fn spend(&mut self, cost: u64) -> Result<(), StructureError> {
        self.total = self.total.saturating_add(cost);
        if self.total > MAX_OPERATIONS {
            return Err(StructureError::TooMuchWork);
        }
        Ok(())
    }

    /// Operations run by a content stream, including every form it draws.
    fn content_cost(
        &mut self,
        drawn: &Drawn,
        resources: &'a Dictionary,
        depth: usize,
    ) -> Result<u64, StructureError> {
        let mut cost = drawn.operations;
        for name in &drawn.names {
            if let Some(form) = self.xobject(resources, name) {
                cost = cost.saturating_add(self.form_cost(form, resources, depth + 1)?);
            }
            if cost > MAX_OPERATIONS {
                return Err(StructureError::TooMuchWork);
            }
        }
        Ok(cost)
    }

    /// The stream pdf-extract draws for `/name Do`: looked up in the current
    /// resources' `/XObject` dictionary, whatever its subtype.
    fn xobject(&self, resources: &'a Dictionary, name: &[u8]) -> Option<&'a Stream> {
        let xobjects = deref(self.document, resources.get(b"XObject").ok()?)
            .as_dict()
            .ok()?;
        deref(self.document, xobjects.get(name).ok()?)
            .as_stream()
            .ok()
    }

    fn form_cost(
        &mut self,
        form: &'a Stream,
        inherited: &'a Dictionary,
        depth: usize,
    ) -> Result<u64, StructureError> {
        if depth > MAX_FORM_DEPTH {
            return Err(StructureError::FormsTooDeep);
        }
        // A form without its own resources uses the ones it is drawn with.
        let resources = form
            .dict
            .get(b"Resources")
            .ok()
            .and_then(|o| deref(self.document, o).as_dict().ok())
            .unwrap_or(inherited);
        let key: Key = (std::ptr::from_ref(form), std::ptr::from_ref(resources));
        if let Some(cost) = self.costs.get(&key) {
            return Ok(*cost);
        }
        if !self.active.insert(key) {
            return Err(StructureError::FormCycle);
        }
        let drawn = self.drawn(form);
        let cost = self.content_cost(&drawn, resources, depth)?;
        self.active.remove(&key);
        self.costs.insert(key, cost);
        Ok(cost)
    }

    fn drawn(&mut self, form: &'a Stream) -> std::rc::Rc<Drawn> {
        self.forms
            .entry(std::ptr::from_ref(form))
            .or_insert_with(|| {
                // As pdf-extract reads it: decompressed when the filters allow.
                let content = form
                    .decompressed_content()
                    .unwrap_or_else(|_| form.content.clone());
                std::rc::Rc::new(Drawn::decode(&content))
            })
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::pdf_testing::pdf_with_forms;

    fn checked(bytes: &[u8]) -> Result<(), StructureError> {
        check(&Document::load_mem(bytes).unwrap())
    }

    #[test]
    fn a_form_that_draws_itself_is_refused() {
        let pdf = pdf_with_forms("/X1 Do", &[("X1", "q /X1 Do Q")]);
        assert_eq!(checked(&pdf), Err(StructureError::FormCycle));
    }

    #[test]
    fn forms_drawing_each_other_in_a_ring_are_refused() {
        let pdf = pdf_with_forms("/A Do", &[("A", "/B Do"), ("B", "/C Do"), ("C", "/A Do")]);
        assert_eq!(checked(&pdf), Err(StructureError::FormCycle));
    }

    /// 17 forms, each drawing the next: one level too deep.
    #[test]
    fn nesting_past_the_limit_is_refused_and_at_the_limit_accepted() {
        let chain = |levels: usize| {
            let names: Vec<String> = (0..levels).map(|i| format!("X{i}")).collect();
            let contents: Vec<String> = (0..levels)
                .map(|i| match names.get(i + 1) {
                    Some(next) => format!("/{next} Do"),
                    None => "BT /F1 12 Tf 72 600 Td (deep) Tj ET".to_owned(),
                })
                .collect();
            let forms: Vec<(&str, &str)> = names
                .iter()
                .zip(&contents)
                .map(|(n, c)| (n.as_str(), c.as_str()))
                .collect();
            pdf_with_forms("/X0 Do", &forms)
        };
        assert_eq!(checked(&chain(MAX_FORM_DEPTH)), Ok(()));
        assert_eq!(
            checked(&chain(MAX_FORM_DEPTH + 1)),
            Err(StructureError::FormsTooDeep)
        );
    }

    /// Ten levels, each drawing the next ten times: 10^10 drawings from a few hundred
    /// bytes. The walk costs each form once, so refusing it is quick.
    #[test]
    fn exponential_fan_out_is_refused() {
        let names: Vec<String> = (0..10).map(|i| format!("X{i}")).collect();
        let contents: Vec<String> = (0..10)
            .map(|i| match names.get(i + 1) {
                Some(next) => format!("/{next} Do ").repeat(10),
                None => "BT /F1 12 Tf 72 600 Td (x) Tj ET".to_owned(),
            })
            .collect();
        let forms: Vec<(&str, &str)> = names
            .iter()
            .zip(&contents)
            .map(|(n, c)| (n.as_str(), c.as_str()))
            .collect();
        let pdf = pdf_with_forms("/X0 Do", &forms);
        assert_eq!(checked(&pdf), Err(StructureError::TooMuchWork));
    }

    #[test]
    fn a_form_drawn_twice_side_by_side_is_fine() {
        let pdf = pdf_with_forms(
            "/X1 Do /X1 Do /X2 Do",
            &[("X1", "BT /F1 12 Tf 72 600 Td (x) Tj ET"), ("X2", "/X1 Do")],
        );
        assert_eq!(checked(&pdf), Ok(()));
    }

    #[test]
    fn a_page_whose_parent_is_itself_is_refused() {
        let mut doc = Document::load_mem(&pdf_with_forms("", &[])).unwrap();
        let page = *doc.get_pages().get(&1).unwrap();
        let dict = doc.get_dictionary_mut(page).unwrap();
        dict.remove(b"Resources");
        dict.set("Parent", page);
        assert_eq!(check(&doc), Err(StructureError::ParentChain));
    }
}
