// `fourbrain convert`: a PDF to Docling's JSON, Markdown or plain text
// (docling/converter.h). Page errors of a partial conversion go to stderr; the output
// still holds every page that converted.
#include <cstdio>
#include <fstream>
#include <memory>

#include "apps/commands.h"
#include "base/file.h"
#include "docling/chunk/chunker.h"
#include "docling/converter.h"
#include "docling/export/exporters.h"
#include "docling/sandbox.h"
#include "formats/tokenizer/tokenizer.h"

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
  bool in_process = false;
};

// A child process per document (docling/sandbox.h) unless asked otherwise: a PDF that
// crashes the parser then fails with a message instead of taking the command down.
Result<docling::ConversionResult> convert(std::string bytes, const docling::ConvertOptions& options,
                                          bool in_process) {
  std::string exe = in_process ? std::string() : docling::self_executable();
  if (exe.empty()) return docling::convert_pdf(std::move(bytes), options);
  return docling::convert_pdf_sandboxed(exe, std::move(bytes), options);
}

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
  FB_ASSIGN_OR_RETURN(docling::ConversionResult result, convert(std::move(bytes), options, f.in_process));
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

struct ChunkFlags {
  std::string input;
  std::string tokenizer_dir;
  std::string mode = "hybrid";
  size_t max_tokens = 512;
  bool merge_peers = true;
  std::string ocr = "auto";
  std::string output;
};

Status run_chunk(const ChunkFlags& f) {
  if (f.mode == "hybrid" && f.tokenizer_dir.empty()) {
    return invalid_argument("hybrid chunking counts tokens: give --tokenizer DIR");
  }
  docling::ConvertOptions options;
  options.filename = f.input;
  FB_ASSIGN_OR_RETURN(options.ocr, docling::parse_ocr_mode(f.ocr));
  FB_ASSIGN_OR_RETURN(std::string bytes, read_file(f.input));
  FB_ASSIGN_OR_RETURN(docling::ConversionResult result, convert(std::move(bytes), options, false));
  for (const docling::PageError& e : result.errors) {
    std::fprintf(stderr, "fourbrain chunk: page %d: %s\n", e.page_no, e.message.c_str());
  }
  if (f.mode == "hierarchical") {
    return write_output(f.output, docling::chunks_to_json(docling::hierarchical_chunks(result.document), false));
  }
  FB_ASSIGN_OR_RETURN(std::unique_ptr<formats::Tokenizer> tokenizer, formats::Tokenizer::load(f.tokenizer_dir));
  docling::HybridChunkOptions chunk_options;
  chunk_options.max_tokens = f.max_tokens;
  chunk_options.merge_peers = f.merge_peers;
  auto chunks = docling::hybrid_chunks(result.document, docling::token_counter(*tokenizer), chunk_options);
  return write_output(f.output, docling::chunks_to_json(chunks, true));
}

}  // namespace

Command add_chunk_command(CLI::App& app) {
  auto flags = std::make_shared<ChunkFlags>();
  CLI::App* cmd = app.add_subcommand(
      "chunk", "Convert a PDF and chunk it for embedding (hybrid or hierarchical), as JSON");
  cmd->add_option("input", flags->input, "PDF file")->required();
  cmd->add_option("--tokenizer", flags->tokenizer_dir, "HF tokenizer directory (counts tokens)");
  cmd->add_option("--max-tokens", flags->max_tokens, "token limit per chunk (hybrid)");
  cmd->add_option("--mode", flags->mode, "hybrid | hierarchical")
      ->check(CLI::IsMember({"hybrid", "hierarchical"}));
  cmd->add_flag("!--no-merge-peers", flags->merge_peers, "keep undersized chunks apart");
  cmd->add_option("--ocr", flags->ocr, "auto | force | off")
      ->check(CLI::IsMember({"auto", "force", "off"}));
  cmd->add_option("-o,--output", flags->output, "output file (default: stdout)");
  return [flags] { return run_chunk(*flags); };
}

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
  cmd->add_flag("--in-process", flags->in_process,
                "convert in this process, not in a child process (faster start, no isolation)");
  return [flags] { return run_convert(*flags); };
}

Command add_docling_worker_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("docling-worker", "");
  cmd->group("");  // internal: the child process of sandboxed conversions
  return [] {
    int code = docling::run_sandbox_worker(stdin, stdout);
    return code == 0 ? Status::ok() : internal_error("worker failed");
  };
}

}  // namespace fourbrain::apps
