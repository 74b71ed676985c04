// libFuzzer target for the PDF entry point of document conversion (docling/converter.h):
// convert_pdf on arbitrary bytes with OCR off and short time limits, then every exporter
// and the hierarchical chunker on what came out. Built and run by
// tools/fuzz/run_pdf_fuzzer.sh (ASan + UBSan over our code; poppler is Debian's build).
//
// Beyond "no crash, no leak, no hang": a failure is a Status (never an exception), the
// result's page bookkeeping adds up, every item's provenance names a converted page, and
// table cells lie inside their grid.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "docling/chunk/chunker.h"
#include "docling/converter.h"
#include "docling/export/exporters.h"

namespace {

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "broken invariant: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fourbrain::docling;
  ConvertOptions options;
  options.ocr = OcrMode::kOff;
  options.max_pages = 20;
  options.page_time_limit = std::chrono::milliseconds(2000);
  options.document_time_limit = std::chrono::milliseconds(5000);
  auto result = convert_pdf(std::string(reinterpret_cast<const char*>(data), size), options);
  if (!result.is_ok()) return 0;
  const DoclingDocument& doc = result->document;
  check(result->pages_converted == static_cast<int>(doc.pages.size()), "pages converted");
  for (const TextItem& t : doc.texts) {
    for (const Provenance& p : t.prov) check(doc.page(p.page_no) != nullptr, "text on a page");
  }
  for (const TableItem& t : doc.tables) {
    for (const TableCellData& c : t.cells) {
      check(c.start_row >= 0 && c.end_row <= t.num_rows && c.start_row < c.end_row, "cell rows");
      check(c.start_col >= 0 && c.end_col <= t.num_cols && c.start_col < c.end_col, "cell cols");
    }
  }
  std::string json = to_docling_json(doc);
  check(!json.empty() && json.front() == '{' && json.back() == '}', "json object");
  (void)to_markdown(doc);
  (void)to_plain_text(doc);
  (void)hierarchical_chunks(doc);
  return 0;
}
