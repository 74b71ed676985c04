// Writing a DoclingDocument: Docling's JSON (docling-core's DoclingDocument model, schema
// 1.10.0, loadable by DoclingDocument.model_validate), Markdown following docling-core's
// MarkdownDocSerializer defaults (what docling-serve returns as md_content), and plain text.
// Pure functions; thread-safe.
#pragma once

#include <string>

#include "docling/document.h"

namespace fourbrain::docling {

std::string to_docling_json(const DoclingDocument& doc);
std::string to_markdown(const DoclingDocument& doc);
// The body's text without Markdown markup: one block per item, blank lines between.
std::string to_plain_text(const DoclingDocument& doc);

}  // namespace fourbrain::docling
