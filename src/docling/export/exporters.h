// Writing a DoclingDocument: Docling's JSON (docling-core's DoclingDocument model, schema
// 1.10.0, loadable by DoclingDocument.model_validate), Markdown following docling-core's
// MarkdownDocSerializer defaults (what docling-serve returns as md_content), and plain text.
// Pure functions; thread-safe.
//
// And reading Docling's JSON back (from_docling_json).
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "docling/document.h"

namespace fourbrain::docling {

std::string to_docling_json(const DoclingDocument& doc);
std::string to_markdown(const DoclingDocument& doc);
// The body's text without Markdown markup: one block per item, blank lines between.
std::string to_plain_text(const DoclingDocument& doc);

// Docling's JSON back into a document (ours, or one docling wrote). InvalidArgument names
// what is malformed: a missing field, a reference past the end, a cell outside its grid.
// Labels this converter does not produce read as text.
Result<DoclingDocument> from_docling_json(std::string_view json);

}  // namespace fourbrain::docling
