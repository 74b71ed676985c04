#include "quant/checkpoint_quantizer.h"

#include <fnmatch.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include "base/sha256.h"
#include "formats/json.h"
#include "formats/json_writer.h"
#include "formats/safetensors.h"
#include "formats/safetensors_writer.h"
#include "kernels/cpu/convert.h"
#include "quant/weight_quantizers.h"

namespace fourbrain::quant {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kDefaultExclude = {"lm_head", "*embed_tokens*", "*embeddings*",
                                                  "*pooler*", "*classifier*", "score"};

bool excluded(const std::string& module, const std::vector<std::string>& patterns) {
  for (const std::string& p : patterns) {
    if (fnmatch(p.c_str(), module.c_str(), 0) == 0) return true;
  }
  return false;
}

// The tensor in f32; its mapped source pages are dropped at once (the page cache keeps
// them for the module's next output), so resident memory stays near one tensor.
std::vector<float> to_f32(const formats::TensorEntry& e) {
  std::vector<float> w(static_cast<size_t>(e.tensor.numel()));
  kernels::cpu::convert_to_f32_parallel(e.tensor.raw_data(), e.dtype, e.tensor.numel(), w.data());
  e.drop_pages();
  return w;
}

// Reconstruction error of each quantized weight, gathered by the producers as they run.
struct ErrorStats {
  std::mutex mu;
  double sum = 0, max = 0;
  int n = 0;
  std::string worst;
  void add(const std::string& module, const std::vector<float>& w, const std::vector<float>& deq) {
    double num = 0, den = 0;
    const auto size = static_cast<int64_t>(w.size());
#pragma omp parallel for reduction(+ : num, den) schedule(static)
    for (int64_t i = 0; i < size; ++i) {
      num += (double(w[i]) - deq[i]) * (double(w[i]) - deq[i]);
      den += double(w[i]) * w[i];
    }
    const double rel = den > 0 ? std::sqrt(num / den) : 0.0;
    std::lock_guard<std::mutex> lock(mu);
    sum += rel;
    ++n;
    if (rel >= max) max = rel, worst = module;
  }
};

template <typename T>
Status copy_bytes(const std::vector<T>& v, std::span<uint8_t> out) {
  if (v.size() * sizeof(T) != out.size()) return internal_error("quantized size mismatch");
  std::memcpy(out.data(), v.data(), out.size());
  return Status::ok();
}

// Linear layers that read the same input, which servers fuse into one GEMM (vLLM, TensorRT-LLM,
// fourbrain): "<parent>.<leaf>" with the leaves of one set.
const std::vector<std::vector<std::string>> kFusedLeaves = {
    {"q_proj", "k_proj", "v_proj"}, {"gate_proj", "up_proj"}, {"query", "key", "value"}};

// "<parent>#<set>" for a module of a fused set, else "".
std::string fused_group(const std::string& module) {
  const size_t dot = module.rfind('.');
  const std::string leaf = dot == std::string::npos ? module : module.substr(dot + 1);
  for (size_t i = 0; i < kFusedLeaves.size(); ++i) {
    for (const std::string& l : kFusedLeaves[i]) {
      if (l == leaf) return module.substr(0, dot + 1) + "#" + std::to_string(i);
    }
  }
  return "";
}

// Declares the quantized tensors of one module; their bytes are made during write(), each
// output from a fresh f32 copy of the source tensor. NVFP4: `scale_2` is the module's global
// scale (shared by a fused set), or 0 for the tensor's own.
Status add_quantized(formats::SafetensorsWriter& writer, const formats::TensorEntry& e,
                     const std::string& module, QuantPrecision precision, float scale_2,
                     ErrorStats& errors) {
  const int64_t rows = e.shape[0], cols = e.shape[1];
  const formats::TensorEntry* src = &e;
  const bool from_bf16 = e.dtype == DType::kBF16;
  if (precision == QuantPrecision::kFp8) {
    FB_RETURN_IF_ERROR(writer.add_deferred(
        module + ".weight", DType::kFp8E4M3, Shape({rows, cols}),
        [=, &errors](std::span<uint8_t> out) {
          const std::vector<float> w = to_f32(*src);
          const Fp8Weight q = quantize_fp8(w.data(), rows, cols, /*per_channel=*/true, from_bf16);
          std::vector<float> deq(w.size());
          dequantize_fp8(q, deq.data());
          errors.add(module, w, deq);
          return copy_bytes(q.codes, out);
        }));
    return writer.add_deferred(module + ".weight_scale", DType::kF32, Shape({rows}),
                               [=](std::span<uint8_t> out) {
                                 const std::vector<float> w = to_f32(*src);
                                 return copy_bytes(fp8_scales(w.data(), rows, cols, true), out);
                               });
  }
  FB_RETURN_IF_ERROR(writer.add_deferred(
      module + ".weight", DType::kU8, Shape({rows, cols / 2}),
      [=, &errors](std::span<uint8_t> out) -> Status {
        const std::vector<float> w = to_f32(*src);
        const float s2 = scale_2 > 0 ? scale_2 : nvfp4_scale_2(w.data(), rows, cols);
        FB_ASSIGN_OR_RETURN(Nvfp4Weight q, quantize_nvfp4(w.data(), rows, cols, s2));
        std::vector<float> deq(w.size());
        dequantize_nvfp4(q, deq.data());
        errors.add(module, w, deq);
        return copy_bytes(q.packed, out);
      }));
  FB_RETURN_IF_ERROR(writer.add_deferred(
      module + ".weight_scale", DType::kFp8E4M3, Shape({rows, cols / kNvfp4Block}),
      [=](std::span<uint8_t> out) {
        const std::vector<float> w = to_f32(*src);
        const float s2 = scale_2 > 0 ? scale_2 : nvfp4_scale_2(w.data(), rows, cols);
        return copy_bytes(nvfp4_block_scales(w.data(), rows, cols, s2), out);
      }));
  return writer.add_deferred(module + ".weight_scale_2", DType::kF32, Shape(std::vector<int64_t>{}),
                             [=](std::span<uint8_t> out) {
                               if (scale_2 > 0) return copy_bytes(std::vector<float>{scale_2}, out);
                               const std::vector<float> w = to_f32(*src);
                               const std::vector<float> s = {nvfp4_scale_2(w.data(), rows, cols)};
                               return copy_bytes(s, out);
                             });
}

std::string quant_algo(QuantPrecision p) {
  return p == QuantPrecision::kFp8 ? "FP8_PER_CHANNEL_PER_TOKEN" : "NVFP4";
}

// ModelOpt's config.json["quantization_config"] for what was written.
std::string quantization_config(QuantPrecision p, const std::vector<std::string>& ignore) {
  formats::JsonWriter w;
  w.begin_object().key("quant_method").value("modelopt").key("quant_algo").value(quant_algo(p));
  w.key("producer").begin_object().key("name").value("fourbrain").end_object();
  w.key("config_groups").begin_object().key("group_0").begin_object();
  w.key("weights").begin_object();
  if (p == QuantPrecision::kFp8) {
    w.key("num_bits").value(8).key("type").value("float").key("strategy").value("channel");
    w.key("dynamic").value(false).end_object();
    w.key("input_activations").begin_object().key("num_bits").value(8).key("type").value("float");
    w.key("strategy").value("token").key("dynamic").value(true).end_object();
  } else {
    w.key("num_bits").value(4).key("type").value("float").key("group_size").value(16);
    w.key("dynamic").value(false).end_object();
  }
  w.key("targets").begin_array().value("Linear").end_array().end_object().end_object();
  w.key("ignore").begin_array();
  for (const std::string& i : ignore) w.value(i);
  w.end_array().end_object();
  return w.str();
}

Result<std::string> read_text(const std::string& path) {
  std::ifstream in(path);
  if (!in) return not_found("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Status write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  out.close();
  if (!out) return internal_error("cannot write " + path);
  return Status::ok();
}

// config.json with "quantization_config" added as its last member.
Result<std::string> quantized_config_json(const std::string& src_dir, const std::string& qc) {
  FB_ASSIGN_OR_RETURN(std::string text, read_text(src_dir + "/config.json"));
  FB_RETURN_IF_ERROR(formats::JsonValue::parse(text, "config.json").status());
  const size_t end = text.rfind('}');
  if (end == std::string::npos) return invalid_argument(src_dir + "/config.json is not an object");
  return text.substr(0, end) + ",\n  \"quantization_config\": " + qc + "\n}\n";
}

// Files the quantizer writes itself (`rel` is relative to the checkpoint folder).
bool is_weight_file(const fs::path& rel) {
  const std::string name = rel.string();
  return rel.extension() == ".safetensors" || name == "model.safetensors.index.json" ||
         name == "config.json" || name == kManifestFile || name == "hf_quant_config.json";
}

// Every other file of the source folder (tokenizer, sentence-transformers modules), as is.
Status copy_side_files(const std::string& src_dir, const std::string& out_dir) {
  std::error_code ec;
  for (const auto& entry : fs::recursive_directory_iterator(src_dir, ec)) {
    if (!entry.is_regular_file()) continue;
    const fs::path rel = fs::relative(entry.path(), src_dir);
    if (is_weight_file(rel)) continue;
    fs::create_directories((fs::path(out_dir) / rel).parent_path(), ec);
    fs::copy_file(entry.path(), fs::path(out_dir) / rel, fs::copy_options::overwrite_existing, ec);
    if (ec) return internal_error("copying " + entry.path().string() + ": " + ec.message());
  }
  return ec ? internal_error("reading " + src_dir + ": " + ec.message()) : Status::ok();
}

// The hash of a checkpoint: of its weight files' hashes, in name order.
Result<std::string> source_hash(const formats::Checkpoint& ckpt) {
  std::vector<std::string> files;
  for (const auto& e : ckpt.entries()) files.push_back(e.file);
  std::sort(files.begin(), files.end());
  files.erase(std::unique(files.begin(), files.end()), files.end());
  std::string all;
  for (const std::string& f : files) {
    FB_ASSIGN_OR_RETURN(std::string h, sha256_file(f));
    all += fs::path(f).filename().string() + " " + h + "\n";
  }
  return sha256_hex(all);
}

}  // namespace

Result<QuantizeReport> quantize_checkpoint(const std::string& src_dir, const std::string& out_dir,
                                           const QuantizeOptions& options) {
  std::error_code ec;
  if (fs::exists(out_dir, ec) && fs::equivalent(src_dir, out_dir, ec)) {
    return invalid_argument("the output folder must not be the source folder");
  }
  FB_ASSIGN_OR_RETURN(formats::Checkpoint ckpt, formats::Checkpoint::open(src_dir));
  fs::create_directories(out_dir, ec);
  if (ec) return internal_error("cannot create " + out_dir + ": " + ec.message());
  fs::remove(fs::path(out_dir) / kManifestFile, ec);  // a failed run must not verify

  std::vector<std::string> patterns = kDefaultExclude;
  patterns.insert(patterns.end(), options.exclude.begin(), options.exclude.end());
  formats::SafetensorsWriter writer;
  writer.set_metadata({{"format", "pt"}, {"producer", "fourbrain"}});
  ErrorStats errors;
  QuantizeReport report;
  std::vector<std::string> ignore;
  std::vector<const formats::TensorEntry*> to_quantize;
  for (const formats::TensorEntry& e : ckpt.entries()) {
    const bool weight = e.name.size() > 7 && e.name.ends_with(".weight") && e.shape.rank() == 2 &&
                        (e.dtype == DType::kBF16 || e.dtype == DType::kF16 || e.dtype == DType::kF32);
    const std::string module = weight ? e.name.substr(0, e.name.size() - 7) : "";
    std::string keep_reason;
    if (weight && excluded(module, patterns)) keep_reason = "excluded";
    if (weight && keep_reason.empty() && options.precision == QuantPrecision::kNvfp4 &&
        e.shape[1] % kNvfp4Block != 0) {
      keep_reason = "input dimension not a multiple of 16";
    }
    if (!weight || !keep_reason.empty()) {
      if (weight) {
        report.kept.push_back(module + " (" + keep_reason + ")");
        ignore.push_back(module);
      }
      const auto* bytes = static_cast<const uint8_t*>(e.tensor.raw_data());
      FB_RETURN_IF_ERROR(writer.add(e.name, e.dtype, e.shape, {bytes, e.tensor.nbytes()}));
      continue;
    }
    to_quantize.push_back(&e);
  }
  // NVFP4: a fused set's modules share one global scale, that of the largest amax among them
  // (ModelOpt's export does the same, so that servers can fuse them exactly).
  std::map<std::string, float> group_scale_2;
  if (options.precision == QuantPrecision::kNvfp4) {
    for (const formats::TensorEntry* e : to_quantize) {
      const std::string group = fused_group(e->name.substr(0, e->name.size() - 7));
      if (group.empty()) continue;
      const std::vector<float> w = to_f32(*e);
      float& shared = group_scale_2[group];
      shared = std::max(shared, nvfp4_scale_2(w.data(), e->shape[0], e->shape[1]));
    }
  }
  for (const formats::TensorEntry* e : to_quantize) {
    const std::string module = e->name.substr(0, e->name.size() - 7);
    const auto it = group_scale_2.find(fused_group(module));
    const float scale_2 = it == group_scale_2.end() ? 0.0f : it->second;
    FB_RETURN_IF_ERROR(add_quantized(writer, *e, module, options.precision, scale_2, errors));
    ++report.n_quantized;
    const auto amax = options.input_amax.find(module);
    if (options.precision == QuantPrecision::kNvfp4 && amax != options.input_amax.end()) {
      // ModelOpt's NVFP4 input quantizer: a global scale of amax / (6 * 448), 1 for amax 0.
      const float input_scale = amax->second > 0 ? nvfp4_global_scale(amax->second) : 1.0f;
      FB_RETURN_IF_ERROR(
          writer.add_deferred(module + ".input_scale", DType::kF32, Shape(std::vector<int64_t>{}),
                              [=](std::span<uint8_t> out) {
                                return copy_bytes(std::vector<float>{input_scale}, out);
                              }));
      ++report.input_scales;
    }
  }
  FB_RETURN_IF_ERROR(writer.write(out_dir + "/model.safetensors"));
  report.mean_relative_error = errors.n ? errors.sum / errors.n : 0.0;
  report.max_relative_error = errors.max;
  report.worst_module = errors.worst;

  const std::string qc = quantization_config(options.precision, ignore);
  FB_ASSIGN_OR_RETURN(std::string config, quantized_config_json(src_dir, qc));
  FB_RETURN_IF_ERROR(write_text(out_dir + "/config.json", config));
  formats::JsonWriter hf;
  hf.begin_object().key("producer").begin_object().key("name").value("fourbrain").end_object();
  hf.key("quantization").begin_object().key("quant_algo").value(quant_algo(options.precision));
  hf.key("kv_cache_quant_algo").null();
  if (options.precision == QuantPrecision::kNvfp4) hf.key("group_size").value(16);
  hf.key("exclude_modules").begin_array();
  for (const std::string& i : ignore) hf.value(i);
  hf.end_array().end_object().end_object();
  FB_RETURN_IF_ERROR(write_text(out_dir + "/hf_quant_config.json", hf.str()));
  FB_RETURN_IF_ERROR(copy_side_files(src_dir, out_dir));

  if (options.measure_fidelity) {
    FB_ASSIGN_OR_RETURN(report.fidelity, options.measure_fidelity(out_dir));
  }

  // The manifest goes last: only a complete folder has one.
  formats::JsonWriter m;
  m.begin_object().key("producer").value("fourbrain");
  m.key("precision").value(options.precision == QuantPrecision::kFp8 ? "fp8" : "nvfp4");
  m.key("quant_algo").value(quant_algo(options.precision));
  FB_ASSIGN_OR_RETURN(std::string src_hash, source_hash(ckpt));
  m.key("source").begin_object().key("dir").value(fs::absolute(src_dir).string());
  m.key("sha256").value(src_hash).end_object();
  m.key("quantized_modules").value(report.n_quantized);
  m.key("activations").begin_object();
  if (report.input_scales > 0) {
    m.key("input_scales").value("static, from calibration").key("input_scale_tensors");
    m.value(report.input_scales).key("calibration_texts").value(options.calibration_texts);
  } else {
    m.key("input_scales").value("none: quantized per token at run time");
  }
  m.end_object();
  m.key("kept_modules").begin_array();
  for (const std::string& k : report.kept) m.value(k);
  m.end_array().key("weight_error").begin_object();
  m.key("mean_relative").value(report.mean_relative_error);
  m.key("max_relative").value(report.max_relative_error);
  m.key("worst_module").value(report.worst_module).end_object();
  if (!report.fidelity.empty()) m.key("fidelity").raw_value(report.fidelity);
  m.key("files").begin_object();
  std::vector<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(out_dir, ec)) {
    if (entry.is_regular_file()) files.push_back(fs::relative(entry.path(), out_dir).string());
  }
  std::sort(files.begin(), files.end());
  for (const std::string& f : files) {
    FB_ASSIGN_OR_RETURN(std::string h, sha256_file(out_dir + "/" + f));
    m.key(f).value(h);
  }
  m.end_object().end_object();
  FB_RETURN_IF_ERROR(write_text(out_dir + "/" + kManifestFile, m.str()));
  return report;
}

Status verify_checkpoint(const std::string& dir, std::vector<std::string>& problems) {
  auto manifest = formats::JsonValue::parse_file(dir + "/" + kManifestFile);
  if (!manifest.is_ok()) return not_found(dir + ": no readable " + kManifestFile);
  auto files = manifest->find("files");
  if (!files || !files->is_object()) return invalid_argument(dir + ": the manifest lists no files");
  files->for_each_member([&](std::string_view name, const formats::JsonValue& want) {
    const std::string path = dir + "/" + std::string(name);
    auto got = sha256_file(path);
    if (!got.is_ok()) {
      problems.push_back(std::string(name) + ": missing");
    } else if (!want.is_string() || *got != want.as_string()) {
      problems.push_back(std::string(name) + ": changed (sha256 " + *got + ")");
    }
  });
  if (problems.empty()) return Status::ok();
  return invalid_argument(dir + ": " + std::to_string(problems.size()) +
                          " file(s) differ from the manifest");
}

}  // namespace fourbrain::quant
