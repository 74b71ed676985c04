// The converter on the corpus PDFs (tests/data/docling/corpus, made by
// tools/docling/make_corpus.sh) and on broken files.
#include "docling/converter.h"

#include <gtest/gtest.h>

#include <chrono>
#include <random>

#include "base/file.h"
#include "docling/chunk/chunker.h"
#include "docling/export/exporters.h"
#include "docling/pdf/pdf_reader.h"

namespace fourbrain::docling {
namespace {

std::string corpus(const std::string& name) {
  auto bytes = read_file(std::string(FOURBRAIN_SOURCE_DIR) + "/tests/data/docling/corpus/" + name);
  EXPECT_TRUE(bytes.is_ok()) << name;
  return bytes.is_ok() ? *bytes : std::string();
}

auto far_deadline() { return std::chrono::steady_clock::now() + std::chrono::seconds(30); }

TEST(PdfReader, CellsFontsRulesAndRotation) {
  auto reader = PdfReader::open(corpus("tables_figures.pdf"));
  ASSERT_TRUE(reader.is_ok()) << reader.status().to_string();
  auto page = (*reader)->read_page(1, far_deadline());
  ASSERT_TRUE(page.is_ok());
  EXPECT_GT(page->cells.size(), 20u);
  EXPECT_GT(page->lines.size(), 8u);  // Table 1 is ruled
  bool bold = false, plain = false;
  for (const TextCell& c : page->cells) {
    EXPECT_FALSE(c.font_name.empty());
    EXPECT_GT(c.font_size, 4);
    EXPECT_FALSE(c.bbox.empty());
    EXPECT_LE(c.bbox.r, page->width + 1);
    bold |= c.bold;
    plain |= !c.bold;
  }
  EXPECT_TRUE(bold && plain);

  auto rotated = PdfReader::open(corpus("rotated.pdf"));
  ASSERT_TRUE(rotated.is_ok());
  auto upright = (*rotated)->read_page(1, far_deadline());
  auto sideways = (*rotated)->read_page(2, far_deadline());
  ASSERT_TRUE(upright.is_ok() && sideways.is_ok());
  EXPECT_EQ(sideways->rotation, 90);
  EXPECT_NEAR(sideways->width, upright->height, 0.5);
  for (const TextCell& c : sideways->cells) EXPECT_LE(c.bbox.r, sideways->width + 1) << c.text;
}

TEST(PdfReader, BrokenFilesAreInvalidArgument) {
  std::string good = corpus("two_column.pdf");
  std::mt19937 rng(7);
  std::string noise(4096, '\0');
  for (char& ch : noise) ch = static_cast<char>(rng());
  for (const std::string& bytes : {std::string(), std::string("hello"), noise,
                                   std::string("%PDF-1.7\n") + noise}) {
    auto reader = PdfReader::open(bytes);
    ASSERT_FALSE(reader.is_ok());
    EXPECT_EQ(reader.status().code(), StatusCode::kInvalidArgument);
  }
  // Truncated: poppler may reconstruct what is left; it must not crash, and what it
  // reports is either an error or pages that each fail or convert.
  for (size_t keep : {good.size() / 2, good.size() / 4, size_t{600}}) {
    auto result = convert_pdf(good.substr(0, keep), ConvertOptions{});
    if (result.is_ok()) {
      EXPECT_EQ(result->pages_converted + static_cast<int>(result->errors.size()) > 0, true);
    } else {
      EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
    }
  }
}

TEST(Converter, LimitsAndPageRanges) {
  ConvertOptions options;
  options.max_file_bytes = 100;
  EXPECT_EQ(convert_pdf(corpus("rotated.pdf"), options).status().code(), StatusCode::kInvalidArgument);
  options = ConvertOptions{};
  options.max_pages = 1;
  EXPECT_FALSE(convert_pdf(corpus("rotated.pdf"), options).is_ok());
  ASSERT_TRUE(parse_page_range("2-3", &options).is_ok());
  options.max_pages = 5;
  auto result = convert_pdf(corpus("rotated.pdf"), options);
  ASSERT_TRUE(result.is_ok());
  ASSERT_EQ(result->document.pages.size(), 2u);
  EXPECT_EQ(result->document.pages[0].page_no, 2);
  for (const char* bad : {"0", "3-2", "a", "1-b", ""}) {
    EXPECT_FALSE(parse_page_range(bad, &options).is_ok()) << bad;
  }
  ASSERT_TRUE(parse_page_range("9-", &options).is_ok());
  EXPECT_FALSE(convert_pdf(corpus("rotated.pdf"), options).is_ok());  // no page selected
}

TEST(Converter, ScannedPageIsRecognised) {
  ConvertOptions options;
  auto result = convert_pdf(corpus("scanned.pdf"), options);
  ASSERT_TRUE(result.is_ok());
  EXPECT_EQ(result->pages_ocr, 1);
  std::string text = to_plain_text(result->document);
  EXPECT_NE(text.find("optical character recognition"), std::string::npos) << text;
  options.ocr = OcrMode::kOff;
  auto without = convert_pdf(corpus("scanned.pdf"), options);
  ASSERT_TRUE(without.is_ok());
  EXPECT_EQ(without->pages_ocr, 0);
  EXPECT_EQ(to_plain_text(without->document).find("optical character recognition"), std::string::npos);
}

// tests/data/docling/extra/picture_text.pdf (tools/docling/make_picture_text_pdf.py): a line of
// PDF text over a bitmap that shows "Quarterly revenue grew by seven percent".
TEST(Converter, TextInAPictureIsRecognisedAsItsChildren) {
  auto bytes = read_file(std::string(FOURBRAIN_SOURCE_DIR) + "/tests/data/docling/extra/picture_text.pdf");
  ASSERT_TRUE(bytes.is_ok());
  auto result = convert_pdf(*bytes, ConvertOptions{});
  ASSERT_TRUE(result.is_ok()) << result.status().to_string();
  EXPECT_EQ(result->regions_ocr, 1);
  EXPECT_EQ(result->pages_ocr, 0);
  const DoclingDocument& doc = result->document;
  ASSERT_EQ(doc.pictures.size(), 1u);
  std::string picture_text;
  for (const NodeRef& child : doc.pictures[0].children) {
    ASSERT_EQ(child.kind, NodeRef::Kind::kText);
    picture_text += doc.texts[child.index].text + " ";
  }
  int found = 0;
  for (const char* word : {"Quarterly", "revenue", "grew", "by", "seven", "percent"}) {
    found += picture_text.find(word) != std::string::npos;
  }
  EXPECT_GE(found, 5) << picture_text;
  // The page's own text stays in the body, and the picture's text is not there.
  EXPECT_EQ(to_plain_text(doc), "The figure below is a bitmap with words drawn into it.");
  ConvertOptions off;
  off.ocr = OcrMode::kOff;
  auto without = convert_pdf(*bytes, off);
  ASSERT_TRUE(without.is_ok());
  EXPECT_EQ(without->regions_ocr, 0);
  EXPECT_TRUE(without->document.pictures.at(0).children.empty());
}

TEST(Chunker, HybridKeepsTheLimitAndRepeatsTableHeaders) {
  auto result = convert_pdf(corpus("tables_figures.pdf"), ConvertOptions{});
  ASSERT_TRUE(result.is_ok());
  // Words as tokens: a stand-in tokenizer that makes the limits easy to reason about.
  TokenCounter words = [](const std::string& s) {
    size_t n = 0;
    bool in_word = false;
    for (char c : s) {
      bool space = c == ' ' || c == '\n';
      n += !space && !in_word;
      in_word = !space;
    }
    return n;
  };
  HybridChunkOptions options;
  options.max_tokens = 40;
  auto chunks = hybrid_chunks(result->document, words, options);
  ASSERT_FALSE(chunks.empty());
  int table_pieces = 0;
  for (const Chunk& c : chunks) {
    EXPECT_LE(c.n_tokens, 40u) << c.text;
    EXPECT_EQ(c.n_tokens, words(contextualize(c)));
    EXPECT_FALSE(c.headings.empty());
    EXPECT_EQ(c.headings[0], "Tables, Figures and Code");
    if (c.items.size() == 1 && c.items[0].kind == NodeRef::Kind::kTable && c.items[0].index == 0) {
      ++table_pieces;
      // Both header rows lead every piece (after the caption, in the first piece if it fits).
      size_t header = c.text.find("| Family | Model | Throughput | Throughput |\n| Family | Model | CPU | GPU |");
      EXPECT_TRUE(header == 0 || (header != std::string::npos && c.text.find("Table 1:") == 0)) << c.text;
    }
  }
  EXPECT_GE(table_pieces, 2);
  auto whole = hierarchical_chunks(result->document);
  EXPECT_LE(chunks.size(), whole.size() * 3);
}

}  // namespace
}  // namespace fourbrain::docling
