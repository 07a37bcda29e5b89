#pragma once
// JSON text as synthprobe writes it: Boost.JSON values, with doubles in plain decimal notation.

#include <string>
#include <string_view>

#include <boost/json/value.hpp>

namespace synthprobe {

// Like boost::json::serialize, but doubles in plain decimal notation ("0.184", "0.0") instead of
// Boost's "1.84E-1", so people and shell tools read the seconds as written in the contract.
// Non-finite doubles, which JSON cannot express, become null.
std::string serialize_json(const boost::json::value& value);

// `text` as the inside of a JSON string (no quotes), escaped by Boost.JSON's serializer.
void append_json_escaped(std::string& out, std::string_view text);

}  // namespace synthprobe
