#include "tarmac/analysis/predicate.h"

#include <cctype>
#include <cmath>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace tarmac::analysis {

struct Expression::Node {
  enum class Kind { kNumber, kMetric, kSummary, kNeg, kNot, kBinary } kind = Kind::kNumber;
  std::string op;  // kBinary: + - * / < <= > >= == != and or
  double number = 0.0;
  Metric metric = Metric::kDurationS;
  std::string summary_name;
  bool boolean = false;
  std::shared_ptr<const Node> left, right;
};

namespace {

using Node = Expression::Node;
using NodePtr = std::shared_ptr<const Node>;

struct Token {
  enum class Kind { kNumber, kName, kOp, kEnd } kind = Kind::kEnd;
  std::string text;
  double number = 0.0;
};

absl::StatusOr<std::vector<Token>> Tokenize(absl::string_view s) {
  std::vector<Token> tokens;
  std::size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') {
      std::size_t j = i;
      while (j < s.size() && (std::isdigit(static_cast<unsigned char>(s[j])) || s[j] == '.' ||
                              s[j] == 'e' || ((s[j] == '-' || s[j] == '+') && s[j - 1] == 'e'))) {
        ++j;
      }
      Token t{Token::Kind::kNumber, std::string(s.substr(i, j - i))};
      if (!absl::SimpleAtod(t.text, &t.number)) {
        return absl::InvalidArgumentError(absl::StrCat("'", t.text, "' is not a number"));
      }
      tokens.push_back(t);
      i = j;
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      std::size_t j = i;
      while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_')) ++j;
      tokens.push_back({Token::Kind::kName, std::string(s.substr(i, j - i))});
      i = j;
    } else {
      const std::string two(s.substr(i, 2));
      if (two == "<=" || two == ">=" || two == "==" || two == "!=") {
        tokens.push_back({Token::Kind::kOp, two});
        i += 2;
      } else if (std::string("+-*/<>()").find(c) != std::string::npos) {
        tokens.push_back({Token::Kind::kOp, std::string(1, c)});
        ++i;
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat("unexpected character '", std::string(1, c), "'"));
      }
    }
  }
  tokens.push_back({Token::Kind::kEnd, "end of expression"});
  return tokens;
}

std::string Describe(const Node& n) {
  switch (n.kind) {
    case Node::Kind::kMetric:
      return kMetricInfo[static_cast<std::size_t>(n.metric)].name;
    case Node::Kind::kSummary:
      return n.summary_name;
    case Node::Kind::kNumber:
      return absl::StrCat(n.number);
    default:
      return absl::StrCat("the ", n.boolean ? "condition" : "value", " before '",
                          n.op.empty() ? "" : n.op, "'");
  }
}

// Levenshtein distance, for the nearest metric name.
std::size_t Distance(absl::string_view a, absl::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  absl::StatusOr<NodePtr> Whole() {
    absl::StatusOr<NodePtr> node = Or();
    if (!node.ok()) return node;
    if (Peek().kind != Token::Kind::kEnd) {
      return absl::InvalidArgumentError(absl::StrCat("unexpected '", Peek().text, "'"));
    }
    return node;
  }

 private:
  const Token& Peek() const { return tokens_[pos_]; }
  bool Accept(absl::string_view text) {
    const Token& t = Peek();
    if ((t.kind == Token::Kind::kOp || t.kind == Token::Kind::kName) && t.text == text) {
      ++pos_;
      return true;
    }
    return false;
  }

  static absl::StatusOr<NodePtr> Binary(std::string op, NodePtr left, NodePtr right) {
    const bool logical = op == "and" || op == "or";
    const bool comparison =
        op == "<" || op == "<=" || op == ">" || op == ">=" || op == "==" || op == "!=";
    for (const NodePtr& side : {left, right}) {
      if (logical && !side->boolean) {
        return absl::InvalidArgumentError(
            absl::StrCat("'", op, "' needs conditions, but ", Describe(*side), " is a number"));
      }
      if (!logical && side->boolean) {
        return absl::InvalidArgumentError(
            absl::StrCat("'", op, "' needs numbers, but ", Describe(*side),
                         " is a yes/no flag (use it alone, or with not)"));
      }
    }
    auto node = std::make_shared<Node>();
    node->kind = Node::Kind::kBinary;
    node->op = std::move(op);
    node->boolean = logical || comparison;
    node->left = std::move(left);
    node->right = std::move(right);
    return NodePtr(node);
  }

  absl::StatusOr<NodePtr> Or() {
    absl::StatusOr<NodePtr> left = And();
    while (left.ok() && Accept("or")) {
      absl::StatusOr<NodePtr> right = And();
      if (!right.ok()) return right;
      left = Binary("or", *left, *right);
    }
    return left;
  }
  absl::StatusOr<NodePtr> And() {
    absl::StatusOr<NodePtr> left = Not();
    while (left.ok() && Accept("and")) {
      absl::StatusOr<NodePtr> right = Not();
      if (!right.ok()) return right;
      left = Binary("and", *left, *right);
    }
    return left;
  }
  absl::StatusOr<NodePtr> Not() {
    if (!Accept("not")) return Comparison();
    absl::StatusOr<NodePtr> inner = Not();
    if (!inner.ok()) return inner;
    if (!(*inner)->boolean) {
      return absl::InvalidArgumentError(
          absl::StrCat("'not' needs a condition, but ", Describe(**inner), " is a number"));
    }
    auto node = std::make_shared<Node>();
    node->kind = Node::Kind::kNot;
    node->boolean = true;
    node->left = *inner;
    return NodePtr(node);
  }
  absl::StatusOr<NodePtr> Comparison() {
    absl::StatusOr<NodePtr> left = Sum();
    if (!left.ok()) return left;
    for (const char* op : {"<=", ">=", "==", "!=", "<", ">"}) {
      if (Accept(op)) {
        absl::StatusOr<NodePtr> right = Sum();
        if (!right.ok()) return right;
        return Binary(op, *left, *right);
      }
    }
    return left;
  }
  absl::StatusOr<NodePtr> Sum() {
    absl::StatusOr<NodePtr> left = Product();
    while (left.ok()) {
      const std::string op = Peek().text;
      if (Peek().kind != Token::Kind::kOp || (op != "+" && op != "-")) break;
      ++pos_;
      absl::StatusOr<NodePtr> right = Product();
      if (!right.ok()) return right;
      left = Binary(op, *left, *right);
    }
    return left;
  }
  absl::StatusOr<NodePtr> Product() {
    absl::StatusOr<NodePtr> left = Unary();
    while (left.ok()) {
      const std::string op = Peek().text;
      if (Peek().kind != Token::Kind::kOp || (op != "*" && op != "/")) break;
      ++pos_;
      absl::StatusOr<NodePtr> right = Unary();
      if (!right.ok()) return right;
      left = Binary(op, *left, *right);
    }
    return left;
  }
  absl::StatusOr<NodePtr> Unary() {
    if (!Accept("-")) return Primary();
    absl::StatusOr<NodePtr> inner = Unary();
    if (!inner.ok()) return inner;
    if ((*inner)->boolean) {
      return absl::InvalidArgumentError(
          absl::StrCat("'-' needs a number, but ", Describe(**inner), " is a yes/no flag"));
    }
    auto node = std::make_shared<Node>();
    node->kind = Node::Kind::kNeg;
    node->left = *inner;
    return NodePtr(node);
  }
  absl::StatusOr<NodePtr> Primary() {
    const Token t = Peek();
    if (t.kind == Token::Kind::kNumber) {
      ++pos_;
      auto node = std::make_shared<Node>();
      node->number = t.number;
      return NodePtr(node);
    }
    if (Accept("(")) {
      absl::StatusOr<NodePtr> inner = Or();
      if (!inner.ok()) return inner;
      if (!Accept(")")) {
        return absl::InvalidArgumentError(
            absl::StrCat("expected ')' but found '", Peek().text, "'"));
      }
      return inner;
    }
    if (t.kind == Token::Kind::kName && t.text != "and" && t.text != "or" && t.text != "not") {
      ++pos_;
      return Name(t.text);
    }
    return absl::InvalidArgumentError(
        absl::StrCat("expected a number, a metric or '(' but found '", t.text, "'"));
  }
  static absl::StatusOr<NodePtr> Name(const std::string& name) {
    auto node = std::make_shared<Node>();
    if (const MetricInfo* info = FindMetric(name)) {
      node->kind = Node::Kind::kMetric;
      node->metric = info->metric;
      node->boolean = info->flag;
      return NodePtr(node);
    }
    for (const char* summary : kSummaryNames) {
      if (name == summary) {
        node->kind = Node::Kind::kSummary;
        node->summary_name = name;
        return NodePtr(node);
      }
    }
    std::string nearest;
    std::size_t best = 4;
    for (const MetricInfo& info : kMetricInfo) {
      const std::size_t d = Distance(name, info.name);
      if (d < best) {
        best = d;
        nearest = info.name;
      }
    }
    return absl::InvalidArgumentError(
        absl::StrCat("unknown metric '", name, "'",
                     nearest.empty() ? "; tarmac mine --metrics lists them"
                                     : absl::StrCat(" (did you mean '", nearest, "'?)")));
  }

  std::vector<Token> tokens_;
  std::size_t pos_ = 0;
};

double Eval(const Node& n, const MetricValues& m, const schemas::EpisodeSummary& summary) {
  switch (n.kind) {
    case Node::Kind::kNumber:
      return n.number;
    case Node::Kind::kMetric:
      return m[n.metric];
    case Node::Kind::kSummary:
      return schemas::MetricOr(summary, n.summary_name);
    case Node::Kind::kNeg:
      return -Eval(*n.left, m, summary);
    case Node::Kind::kNot:
      return Eval(*n.left, m, summary) != 0.0 ? 0.0 : 1.0;
    case Node::Kind::kBinary:
      break;
  }
  const double a = Eval(*n.left, m, summary);
  if (n.op == "and") return a != 0.0 && Eval(*n.right, m, summary) != 0.0 ? 1.0 : 0.0;
  if (n.op == "or") return a != 0.0 || Eval(*n.right, m, summary) != 0.0 ? 1.0 : 0.0;
  const double b = Eval(*n.right, m, summary);
  if (n.op == "+") return a + b;
  if (n.op == "-") return a - b;
  if (n.op == "*") return a * b;
  if (n.op == "/") return b != 0.0 ? a / b : 0.0;
  if (n.op == "<") return a < b ? 1.0 : 0.0;
  if (n.op == "<=") return a <= b ? 1.0 : 0.0;
  if (n.op == ">") return a > b ? 1.0 : 0.0;
  if (n.op == ">=") return a >= b ? 1.0 : 0.0;
  if (n.op == "==") return a == b ? 1.0 : 0.0;
  return a != b ? 1.0 : 0.0;
}

}  // namespace

absl::StatusOr<Expression> Expression::Parse(absl::string_view text) {
  absl::StatusOr<std::vector<Token>> tokens = Tokenize(text);
  if (!tokens.ok()) return tokens.status();
  Parser parser(*std::move(tokens));
  absl::StatusOr<NodePtr> root = parser.Whole();
  if (!root.ok()) return root.status();
  Expression e;
  e.text_ = std::string(text);
  e.root_ = *std::move(root);
  return e;
}

bool Expression::is_boolean() const { return root_ != nullptr && root_->boolean; }

double Expression::Evaluate(const MetricValues& metrics,
                            const schemas::EpisodeSummary& summary) const {
  return root_ == nullptr ? 0.0 : Eval(*root_, metrics, summary);
}

}  // namespace tarmac::analysis
