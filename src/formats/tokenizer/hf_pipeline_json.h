// Reads the model-independent parts of a tokenizer.json for the WordPiece and Unigram
// pipelines into a PipelineSpec: added_tokens, normalizer (BertNormalizer, NFC/NFD/NFKC/NFKD,
// Lowercase, Strip, StripAccents, Replace, Prepend, Precompiled, Sequence), pre_tokenizer
// (BertPreTokenizer, WhitespaceSplit, Metaspace, Sequence), post_processor
// (TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel, Sequence) and decoder
// (WordPiece, Metaspace, ByteFallback, Fuse, Replace, Strip, Sequence). The file's own
// "truncation" and "padding" are ignored: callers pass max_length to encode().
//
// Fails with Unsupported naming any other piece (so a model never loads with a silently
// different tokenizer) and InvalidArgument for malformed entries; callers add the path.
#pragma once

#include "base/status.h"
#include "formats/json.h"
#include "formats/tokenizer/pipeline_tokenizer.h"

namespace fourbrain::formats::tokenizer {

Status read_pipeline_json(const JsonValue& root, PipelineSpec* spec);

// Helpers shared with the model readers and the BPE reader (hf_tokenizer_json.cc).
std::string json_type_of(const JsonValue& v);
bool json_bool_or(const JsonValue& obj, std::string_view key, bool fallback);
Status read_added_tokens_json(const JsonValue& list, std::vector<AddedToken>* out);

}  // namespace fourbrain::formats::tokenizer
