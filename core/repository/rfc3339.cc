#include "core/repository/rfc3339.h"

#include <ctime>

namespace facet {
namespace {

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

}  // namespace

bool IsRfc3339Utc(std::string_view s) {
  // "YYYY-MM-DDTHH:MM:SS" is 19 characters; then ".digits" optionally; "Z".
  if (s.size() < 20 || s.back() != 'Z') return false;
  const char* kPattern = "dddd-dd-ddTdd:dd:dd";
  for (size_t i = 0; i < 19; ++i) {
    bool digit = s[i] >= '0' && s[i] <= '9';
    if (kPattern[i] == 'd' ? !digit : s[i] != kPattern[i]) return false;
  }
  std::string_view frac = s.substr(19, s.size() - 20);
  if (!frac.empty()) {
    if (frac.size() < 2 || frac[0] != '.') return false;
    for (char c : frac.substr(1)) {
      if (c < '0' || c > '9') return false;
    }
  }
  auto num = [&s](size_t at, size_t len) {
    int v = 0;
    for (size_t i = at; i < at + len; ++i) v = v * 10 + (s[i] - '0');
    return v;
  };
  int year = num(0, 4), month = num(5, 2), day = num(8, 2);
  int hour = num(11, 2), minute = num(14, 2), second = num(17, 2);
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1) return false;
  int days = kDays[month - 1] + (month == 2 && IsLeap(year) ? 1 : 0);
  return day <= days && hour <= 23 && minute <= 59 && second <= 60;
}

std::string FormatRfc3339Utc(std::chrono::system_clock::time_point time) {
  std::time_t t = std::chrono::system_clock::to_time_t(time);
  std::tm tm;
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace facet
