#include "docling/ocr/ocr_engine.h"

#include <tesseract/baseapi.h>
#include <tesseract/resultiterator.h>

#include <algorithm>
#include <cmath>
#include <string_view>

namespace fourbrain::docling {

struct OcrEngine::Impl {
  tesseract::TessBaseAPI api;
};

OcrEngine::OcrEngine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
OcrEngine::~OcrEngine() {
  if (impl_) impl_->api.End();
}

Result<std::unique_ptr<OcrEngine>> OcrEngine::create(const std::string& languages) {
  if (languages.empty() || languages.find_first_of("/\\ ") != std::string::npos) {
    return invalid_argument("OCR language must look like 'eng' or 'eng+deu'");
  }
  auto impl = std::make_unique<Impl>();
  if (impl->api.Init(nullptr, languages.c_str(), tesseract::OEM_LSTM_ONLY) != 0) {
    return not_found("tesseract has no trained data for '" + languages +
                     "' (install tesseract-ocr-<lang>)");
  }
  impl->api.SetPageSegMode(tesseract::PSM_AUTO);
  return std::unique_ptr<OcrEngine>(new OcrEngine(std::move(impl)));
}

Result<std::vector<TextCell>> OcrEngine::recognize(const PageImage& image, double min_confidence) {
  if (image.channels != 1 || image.width <= 0 || image.height <= 0 ||
      image.pixels.size() != static_cast<size_t>(image.width) * image.height) {
    return invalid_argument("OCR needs an 8-bit grey image");
  }
  tesseract::TessBaseAPI& api = impl_->api;
  api.SetImage(image.pixels.data(), image.width, image.height, 1, image.width);
  api.SetSourceResolution(static_cast<int>(72 * image.scale));
  if (api.Recognize(nullptr) != 0) return internal_error("tesseract could not recognise the page");
  std::unique_ptr<tesseract::ResultIterator> it(api.GetIterator());
  std::vector<TextCell> cells;
  if (!it) return cells;
  const double to_points = 1.0 / image.scale;
  int block = -1, line = -1;
  double last_right = 0;
  const auto level = tesseract::RIL_WORD;
  do {
    if (it->Empty(level)) continue;
    // Paragraphs, not blocks: a tesseract block can hold a heading and its text.
    if (it->IsAtBeginningOf(tesseract::RIL_PARA)) ++block;
    bool new_line = it->IsAtBeginningOf(tesseract::RIL_TEXTLINE);
    if (new_line) ++line;
    std::unique_ptr<char[]> word(it->GetUTF8Text(level));
    float confidence = it->Confidence(level) / 100.0f;
    if (!word || std::string_view(word.get()).find_first_not_of(" \t\n") == std::string_view::npos ||
        confidence < min_confidence) {
      continue;  // nothing, or blank: a border or a rule read as a "word"
    }
    int l, t, r, b;
    it->BoundingBox(level, &l, &t, &r, &b);
    BBox box{l * to_points, t * to_points, r * to_points, b * to_points};
    double size = box.height();
    bool same_cell = !new_line && !cells.empty() && cells.back().line == line &&
                     box.l - last_right < std::max(1.6 * size, 8.0);
    if (same_cell) {
      TextCell& cell = cells.back();
      cell.text += ' ';
      cell.text += word.get();
      cell.bbox = cell.bbox.united(box);
      cell.confidence = std::min(cell.confidence, static_cast<double>(confidence));
    } else {
      TextCell cell;
      cell.text = word.get();
      cell.bbox = box;
      cell.font_size = size;
      cell.confidence = confidence;
      cell.from_ocr = true;
      cell.block = block;
      cell.line = line;
      cells.push_back(std::move(cell));
    }
    last_right = box.r;
  } while (it->Next(level));
  // Font sizes from the line heights: one size per line, so a line is one style.
  for (size_t i = 0; i < cells.size();) {
    size_t j = i;
    double height = 0;
    while (j < cells.size() && cells[j].line == cells[i].line) height = std::max(height, cells[j++].bbox.height());
    for (size_t k = i; k < j; ++k) cells[k].font_size = std::round(height * 0.8 * 2) / 2;
    i = j;
  }
  return cells;
}

}  // namespace fourbrain::docling
