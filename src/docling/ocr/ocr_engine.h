// OCR through tesseract (Debian's libtesseract): recognises a rendered page and returns its
// words as text cells in page coordinates, with confidences, grouped into lines and blocks
// as tesseract found them, so the layout analysis treats them like PDF text.
//
// Ownership: an OcrEngine owns one tesseract instance. Not thread-safe; use one per thread.
// Failure: a language without trained data is NotFound at create(); recognition errors are
// Internal for that page.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "docling/pdf/page_content.h"

namespace fourbrain::docling {

class OcrEngine {
 public:
  // `languages` in tesseract's form: "eng", "eng+deu".
  static Result<std::unique_ptr<OcrEngine>> create(const std::string& languages);
  ~OcrEngine();
  OcrEngine(const OcrEngine&) = delete;
  OcrEngine& operator=(const OcrEngine&) = delete;

  // Words with a confidence below `min_confidence` (0..1) are dropped.
  Result<std::vector<TextCell>> recognize(const PageImage& image, double min_confidence = 0.3);

 private:
  struct Impl;
  explicit OcrEngine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace fourbrain::docling
