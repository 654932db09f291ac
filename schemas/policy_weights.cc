#include "tarmac/schemas/policy_weights.h"

#include <capnp/message.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <xxhash.h>

#include <cstdlib>
#include <limits>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "message_bytes.h"
#include "tarmac/wire/policy_weights.capnp.h"

namespace tarmac::schemas {
namespace {

constexpr absl::string_view kPolicyWeights = "PolicyWeights";
constexpr unsigned kNumDTypes = 7;

static_assert(static_cast<int>(DType::kUInt8) == static_cast<int>(wire::DType::UINT8));
static_assert(static_cast<int>(DType::kBFloat16) == static_cast<int>(wire::DType::BFLOAT16));

constexpr std::size_t kSignatureBytes = 32;

// Fixed-width little-endian integers and length-prefixed bytes, the canonical form the checksum
// and the signature cover; `update(data, size)` takes the bytes.
template <typename Update>
class Canonical {
 public:
  explicit Canonical(Update update) : update_(std::move(update)) {}

  void U64(std::uint64_t v) {
    unsigned char bytes[8];
    for (int i = 0; i < 8; ++i) bytes[i] = static_cast<unsigned char>(v >> (8 * i));
    update_(bytes, sizeof(bytes));
  }
  void Bytes(absl::string_view s) {
    U64(s.size());
    update_(s.data(), s.size());
  }

 private:
  Update update_;
};

// Feeds version, learner step, architecture and every tensor, in that order.
template <typename Update>
void FeedContent(const PolicyWeights& weights, Canonical<Update>& h) {
  h.U64(weights.version);
  h.U64(weights.learner_step);
  const Architecture& arch = weights.architecture;
  h.Bytes(arch.kind);
  h.U64(arch.obs_dim);
  h.U64(arch.action_dim);
  h.U64(arch.hidden_sizes.size());
  for (std::uint32_t size : arch.hidden_sizes) h.U64(size);
  h.Bytes(arch.activation);
  h.U64(weights.tensors.size());
  for (const Tensor& tensor : weights.tensors) {
    h.Bytes(tensor.name);
    h.U64(tensor.shape.size());
    for (std::int64_t dim : tensor.shape) h.U64(static_cast<std::uint64_t>(dim));
    h.U64(static_cast<std::uint64_t>(tensor.dtype));
    h.Bytes(tensor.data);
  }
}

// Consistency of one tensor; `where` names it in the error.
absl::Status CheckTensor(const Tensor& tensor, absl::string_view where) {
  if (tensor.name.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(where, " has an empty name"));
  }
  if (static_cast<unsigned>(tensor.dtype) >= kNumDTypes) {
    return absl::InvalidArgumentError(absl::StrCat(where, " '", tensor.name, "' has unknown dtype ",
                                                   static_cast<int>(tensor.dtype)));
  }
  std::uint64_t elements = 1;
  for (std::int64_t dim : tensor.shape) {
    if (dim < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, " '", tensor.name, "' has negative dimension ", dim));
    }
    if (dim != 0 &&
        elements > std::numeric_limits<std::uint32_t>::max() / static_cast<std::uint64_t>(dim)) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, " '", tensor.name, "' has more than 2^32 elements"));
    }
    elements *= static_cast<std::uint64_t>(dim);
  }
  const std::uint64_t expected = elements * DTypeSize(tensor.dtype);
  if (tensor.data.size() != expected) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, " '", tensor.name, "' holds ", tensor.data.size(), " bytes but its shape and ",
        DTypeName(tensor.dtype), " dtype need ", expected));
  }
  return absl::OkStatus();
}

absl::Status CheckTensors(const std::vector<Tensor>& tensors) {
  std::set<absl::string_view> names;
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    if (absl::Status s = CheckTensor(tensors[i], absl::StrCat("PolicyWeights tensor ", i));
        !s.ok()) {
      return s;
    }
    if (!names.insert(tensors[i].name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("PolicyWeights has two tensors named '", tensors[i].name, "'"));
    }
  }
  return absl::OkStatus();
}

absl::string_view View(capnp::Data::Reader data) {
  return {reinterpret_cast<const char*>(data.begin()), data.size()};
}

}  // namespace

std::size_t DTypeSize(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
    case DType::kInt32:
      return 4;
    case DType::kFloat64:
    case DType::kInt64:
      return 8;
    case DType::kFloat16:
    case DType::kBFloat16:
      return 2;
    case DType::kUInt8:
      return 1;
  }
  return 0;
}

absl::string_view DTypeName(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return "float32";
    case DType::kFloat64:
      return "float64";
    case DType::kFloat16:
      return "float16";
    case DType::kBFloat16:
      return "bfloat16";
    case DType::kInt64:
      return "int64";
    case DType::kInt32:
      return "int32";
    case DType::kUInt8:
      return "uint8";
  }
  return "unknown";
}

bool Architecture::operator==(const Architecture& other) const {
  return kind == other.kind && obs_dim == other.obs_dim && action_dim == other.action_dim &&
         hidden_sizes == other.hidden_sizes && activation == other.activation;
}

std::int64_t Tensor::NumElements() const {
  std::int64_t n = 1;
  for (std::int64_t dim : shape) n *= dim;
  return n;
}

std::uint64_t PolicyWeightsChecksum(const PolicyWeights& weights) {
  XXH3_state_t* state = XXH3_createState();
  XXH3_64bits_reset(state);
  Canonical h(
      [state](const void* data, std::size_t size) { XXH3_64bits_update(state, data, size); });
  FeedContent(weights, h);
  const std::uint64_t digest = XXH3_64bits_digest(state);
  XXH3_freeState(state);
  return digest;
}

std::string PolicyWeightsSignature(const PolicyWeights& weights, absl::string_view key) {
  // OpenSSL 3's EVP_MAC: HMAC with SHA-256, streamed over the canonical content.
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  EVP_MAC_CTX* ctx = mac == nullptr ? nullptr : EVP_MAC_CTX_new(mac);
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                               OSSL_PARAM_END};
  std::string out(kSignatureBytes, '\0');
  std::size_t written = 0;
  bool ok = ctx != nullptr && EVP_MAC_init(ctx, reinterpret_cast<const unsigned char*>(key.data()),
                                           key.size(), params) == 1;
  if (ok) {
    Canonical h([ctx, &ok](const void* data, std::size_t size) {
      ok = ok && EVP_MAC_update(ctx, static_cast<const unsigned char*>(data), size) == 1;
    });
    FeedContent(weights, h);
    ok = ok && EVP_MAC_final(ctx, reinterpret_cast<unsigned char*>(out.data()), &written,
                             out.size()) == 1;
  }
  EVP_MAC_CTX_free(ctx);
  EVP_MAC_free(mac);
  // Only an OpenSSL without HMAC or SHA-256 fails here; an empty signature then verifies
  // against nothing.
  if (!ok || written != kSignatureBytes) return {};
  return out;
}

absl::Status VerifyPolicyWeights(const PolicyWeights& weights, absl::string_view key) {
  if (key.empty()) return absl::OkStatus();
  if (weights.signature.empty()) {
    return absl::PermissionDeniedError(
        absl::StrCat("weights v", weights.version, " are unsigned but ", kWeightsKeyVariable,
                     " is set; publish them from a learner that has the same key"));
  }
  const std::string expected = PolicyWeightsSignature(weights, key);
  if (expected.empty() || weights.signature.size() != expected.size() ||
      CRYPTO_memcmp(weights.signature.data(), expected.data(), expected.size()) != 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("weights v", weights.version, " are not signed with this ",
                     kWeightsKeyVariable, "; give the learner and the actors the same key"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> WeightsKeyFromEnvironment() {
  const char* value = std::getenv(kWeightsKeyVariable);
  if (value == nullptr || *value == '\0') return std::string();
  std::string key(value);
  if (key.size() < kMinWeightsKeyBytes) {
    return absl::InvalidArgumentError(absl::StrCat(kWeightsKeyVariable, " is ", key.size(),
                                                   " bytes; use at least ", kMinWeightsKeyBytes,
                                                   " (e.g. `openssl rand -hex 32`)"));
  }
  return key;
}

absl::StatusOr<std::string> EncodePolicyWeights(const PolicyWeights& weights,
                                                absl::string_view key) {
  if (absl::Status s = CheckTensors(weights.tensors); !s.ok()) return s;
  capnp::MallocMessageBuilder builder;
  auto root = builder.initRoot<wire::PolicyWeights>();
  root.setSchemaId(capnp::typeId<wire::PolicyWeights>());
  root.setVersion(weights.version);
  root.setLearnerStep(weights.learner_step);
  auto arch = root.initArchitecture();
  arch.setKind(weights.architecture.kind);
  arch.setObsDim(weights.architecture.obs_dim);
  arch.setActionDim(weights.architecture.action_dim);
  const auto& hidden = weights.architecture.hidden_sizes;
  auto hidden_out = arch.initHiddenSizes(static_cast<unsigned>(hidden.size()));
  for (unsigned i = 0; i < hidden.size(); ++i) hidden_out.set(i, hidden[i]);
  arch.setActivation(weights.architecture.activation);
  auto tensors = root.initTensors(static_cast<unsigned>(weights.tensors.size()));
  for (unsigned i = 0; i < weights.tensors.size(); ++i) {
    const Tensor& tensor = weights.tensors[i];
    auto out = tensors[i];
    out.setName(tensor.name);
    auto shape = out.initShape(static_cast<unsigned>(tensor.shape.size()));
    for (unsigned d = 0; d < tensor.shape.size(); ++d) shape.set(d, tensor.shape[d]);
    out.setDtype(static_cast<wire::DType>(tensor.dtype));
    out.setData(capnp::Data::Reader(reinterpret_cast<const kj::byte*>(tensor.data.data()),
                                    tensor.data.size()));
  }
  root.setChecksum(PolicyWeightsChecksum(weights));
  root.setCreatedUnixMs(weights.created_unix_ms);
  if (!key.empty()) {
    const std::string signature = PolicyWeightsSignature(weights, key);
    if (signature.empty()) {
      return absl::InternalError("OpenSSL could not compute HMAC-SHA-256 to sign the weights");
    }
    root.setSignature(
        capnp::Data::Reader(reinterpret_cast<const kj::byte*>(signature.data()), signature.size()));
  }
  return MessageToBytes(builder);
}

absl::StatusOr<PolicyWeights> DecodePolicyWeights(absl::string_view bytes,
                                                  const DecodeLimits& limits) {
  absl::StatusOr<std::unique_ptr<MessageBytes>> message =
      MessageBytes::Open(bytes, limits, kPolicyWeights);
  if (!message.ok()) return message.status();
  std::uint64_t stored_checksum = 0;
  absl::StatusOr<PolicyWeights> decoded =
      GuardedRead(kPolicyWeights, [&]() -> absl::StatusOr<PolicyWeights> {
        auto root = (*message)->reader().getRoot<wire::PolicyWeights>();
        if (absl::Status s = CheckSchemaId(root.getSchemaId(), capnp::typeId<wire::PolicyWeights>(),
                                           kPolicyWeights);
            !s.ok()) {
          return s;
        }
        PolicyWeights out;
        out.version = root.getVersion();
        out.learner_step = root.getLearnerStep();
        auto arch = root.getArchitecture();
        out.architecture.kind = arch.getKind().cStr();
        out.architecture.obs_dim = arch.getObsDim();
        out.architecture.action_dim = arch.getActionDim();
        for (std::uint32_t size : arch.getHiddenSizes()) {
          out.architecture.hidden_sizes.push_back(size);
        }
        out.architecture.activation = arch.getActivation().cStr();
        // Each list getter is called once: every call counts against the traversal limit.
        const auto tensors = root.getTensors();
        out.tensors.reserve(tensors.size());
        for (auto tensor : tensors) {
          Tensor t;
          t.name = tensor.getName().cStr();
          for (std::int64_t dim : tensor.getShape()) t.shape.push_back(dim);
          t.dtype = static_cast<DType>(tensor.getDtype());
          t.data = std::string(View(tensor.getData()));
          out.tensors.push_back(std::move(t));
        }
        out.created_unix_ms = root.getCreatedUnixMs();
        out.signature = std::string(View(root.getSignature()));
        stored_checksum = root.getChecksum();
        return out;
      });
  if (!decoded.ok()) return decoded.status();
  if (absl::Status s = CheckTensors(decoded->tensors); !s.ok()) return s;
  const std::uint64_t computed = PolicyWeightsChecksum(*decoded);
  if (computed != stored_checksum) {
    return absl::DataLossError(absl::StrCat(
        "PolicyWeights version ", decoded->version, " is corrupt: stored checksum ",
        absl::Hex(stored_checksum), " but the content hashes to ", absl::Hex(computed)));
  }
  return decoded;
}

}  // namespace tarmac::schemas
