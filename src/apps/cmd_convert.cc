// `fourbrain convert`: a PDF to Docling's JSON, Markdown or plain text
// (docling/converter.h). Page errors of a partial conversion go to stderr; the output
// still holds every page that converted.
#include <cstdio>
#include <fstream>
#include <memory>

#include "apps/commands.h"
#include "base/file.h"
#include "docling/converter.h"
#include "docling/export/exporters.h"

namespace fourbrain::apps {
namespace {

struct ConvertFlags {
  std::string input;
  std::string to = "md";
  std::string output;
  std::string pages;
  std::string ocr = "auto";
  std::string ocr_lang = "eng";
  double page_timeout_s = 20;
};

Status write_output(const std::string& path, const std::string& text) {
  if (path.empty() || path == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    if (text.empty() || text.back() != '\n') std::fputc('\n', stdout);
    return Status::ok();
  }
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (text.empty() || text.back() != '\n') out << '\n';
  if (!out) return invalid_argument("cannot write " + path);
  return Status::ok();
}

Status run_convert(const ConvertFlags& f) {
  docling::ConvertOptions options;
  options.filename = f.input;
  FB_ASSIGN_OR_RETURN(options.ocr, docling::parse_ocr_mode(f.ocr));
  options.ocr_languages = f.ocr_lang;
  options.page_time_limit = std::chrono::milliseconds(static_cast<int64_t>(f.page_timeout_s * 1000));
  if (!f.pages.empty()) FB_RETURN_IF_ERROR(docling::parse_page_range(f.pages, &options));
  FB_ASSIGN_OR_RETURN(std::string bytes, read_file(f.input));
  FB_ASSIGN_OR_RETURN(docling::ConversionResult result, docling::convert_pdf(std::move(bytes), options));
  for (const docling::PageError& e : result.errors) {
    std::fprintf(stderr, "fourbrain convert: page %d: %s\n", e.page_no, e.message.c_str());
  }
  if (result.status == docling::ConversionStatus::kFailure) {
    return invalid_argument("no page of " + f.input + " could be converted");
  }
  std::string text;
  if (f.to == "json") {
    text = docling::to_docling_json(result.document);
  } else if (f.to == "md") {
    text = docling::to_markdown(result.document);
  } else {
    text = docling::to_plain_text(result.document);
  }
  return write_output(f.output, text);
}

}  // namespace

Command add_convert_command(CLI::App& app) {
  auto flags = std::make_shared<ConvertFlags>();
  CLI::App* cmd = app.add_subcommand(
      "convert", "Convert a PDF to Docling JSON, Markdown or text (layout, tables, OCR)");
  cmd->add_option("input", flags->input, "PDF file")->required();
  cmd->add_option("--to", flags->to, "md | json | text")
      ->check(CLI::IsMember({"md", "json", "text"}));
  cmd->add_option("-o,--output", flags->output, "output file (default: stdout)");
  cmd->add_option("--pages", flags->pages, "page range: 3, 1-10 or 5-");
  cmd->add_option("--ocr", flags->ocr, "auto | force | off")
      ->check(CLI::IsMember({"auto", "force", "off"}));
  cmd->add_option("--ocr-lang", flags->ocr_lang, "tesseract languages, e.g. eng or eng+deu");
  cmd->add_option("--page-timeout", flags->page_timeout_s, "seconds one page may take");
  return [flags] { return run_convert(*flags); };
}

}  // namespace fourbrain::apps
