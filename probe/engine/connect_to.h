#pragma once
// `resolve` pins as CURLOPT_CONNECT_TO entries. CURLOPT_RESOLVE would write the pin into the DNS cache the
// whole multi shares (and connections are reused by host name), so every other check of that host:port
// would follow the pin; CONNECT_TO belongs to the one transfer, and its connections are never mixed with
// unpinned ones. The URL's host name stays what Host and SNI say.

#include <string>
#include <string_view>

namespace synthprobe {

// "host:port:addr" (IPv6 addresses in brackets), as config stores a pin, to "host:port:addr:port".
// An entry that does not have that shape gives "".
std::string connect_to_entry(std::string_view resolve_entry);

}  // namespace synthprobe
