//! Small hostile PDFs for the tests of the PDF readers, built in memory.

use pdf_extract::{Dictionary, Document, Object, Stream, dictionary};

/// A one-page PDF whose page runs `page` and whose resources name each of `forms`
/// (name, content) as a form XObject. Every form shares the page's resources, so a
/// form can draw any form, itself included. Text uses Helvetica as `/F1`.
pub(crate) fn pdf_with_forms(page: &str, forms: &[(&str, &str)]) -> Vec<u8> {
    let mut doc = Document::with_version("1.4");
    let pages_id = doc.new_object_id();
    let resources_id = doc.new_object_id();
    let font = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
    });
    let mut xobjects = Dictionary::new();
    for (name, content) in forms {
        let form = Stream::new(
            dictionary! {
                "Type" => "XObject",
                "Subtype" => "Form",
                "BBox" => vec![0.into(), 0.into(), 612.into(), 792.into()],
                "Resources" => resources_id,
            },
            content.as_bytes().to_vec(),
        );
        xobjects.set(name.as_bytes().to_vec(), doc.add_object(form));
    }
    doc.objects.insert(
        resources_id,
        Object::Dictionary(dictionary! {
            "Font" => dictionary! { "F1" => font },
            "XObject" => xobjects,
        }),
    );
    let contents = doc.add_object(Stream::new(Dictionary::new(), page.as_bytes().to_vec()));
    let page = doc.add_object(dictionary! {
        "Type" => "Page",
        "Parent" => pages_id,
        "Contents" => contents,
        "Resources" => resources_id,
        "MediaBox" => vec![0.into(), 0.into(), 612.into(), 792.into()],
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Count" => 1, "Kids" => vec![page.into()],
        }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    doc.compress();
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).expect("an in-memory PDF");
    bytes
}
