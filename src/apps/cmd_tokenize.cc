#include <cstdio>
#include <memory>

#include "apps/commands.h"
#include "formats/json_writer.h"
#include "formats/tokenizer/tokenizer.h"

namespace fourbrain::apps {
namespace {

struct TokenizeFlags {
  std::string model_dir;
  std::vector<std::string> texts;
  bool no_special = false;
  size_t max_length = 0;
};

Status run_tokenize(const TokenizeFlags& f) {
  FB_ASSIGN_OR_RETURN(auto tokenizer, formats::Tokenizer::load(f.model_dir));
  formats::JsonWriter w;
  w.begin_array();
  for (const std::string& text : f.texts) {
    FB_ASSIGN_OR_RETURN(auto ids, tokenizer->encode(text, !f.no_special, f.max_length));
    w.begin_object().key("ids").begin_array();
    for (int32_t id : ids) w.value(static_cast<int64_t>(id));
    w.end_array().key("tokens").begin_array();
    for (int32_t id : ids) w.value(tokenizer->id_to_token(id));
    w.end_array().end_object();
  }
  w.end_array();
  std::fwrite(w.str().data(), 1, w.str().size(), stdout);
  std::fputc('\n', stdout);
  return Status::ok();
}

}  // namespace

Command add_tokenize_command(CLI::App& app) {
  auto flags = std::make_shared<TokenizeFlags>();
  CLI::App* cmd = app.add_subcommand("tokenize", "Token ids and pieces of texts");
  cmd->add_option("--model", flags->model_dir, "checkpoint or tokenizer directory")->required();
  cmd->add_option("texts", flags->texts, "texts")->required();
  cmd->add_flag("--no-special", flags->no_special, "do not apply the post-processor template");
  cmd->add_option("--max-length", flags->max_length, "truncate to this many ids");
  return [flags] { return run_tokenize(*flags); };
}

}  // namespace fourbrain::apps
