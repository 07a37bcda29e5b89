#pragma once
// Writes that survive a crash: the outbox and the daemon's state file both rely on these.

#include <filesystem>
#include <string>
#include <string_view>

namespace synthprobe {

// Writes all of `data` to `fd`, resuming after signals and short writes. 0 or an errno.
int write_all(int fd, std::string_view data);

// A rename or a new file is durable only once its directory is. 0 or an errno.
int fsync_dir(const std::filesystem::path& dir);

// Replaces `path` by `text` so that a crash leaves the old file or the new one, never a torn one:
// a temporary beside it, fsynced, renamed over it, then the directory fsynced. "" or what failed.
std::string replace_file_durably(const std::filesystem::path& path, std::string_view text, int mode = 0644);

}  // namespace synthprobe
