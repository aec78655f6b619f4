#include "plot.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "engine/atomic_file.hpp"

extern char** environ;

namespace mtf::cli {

std::string gnuplot_quoted(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("''") : std::string(1, c);
  return q + "'";
}

std::string render_gnuplot(const std::string& gp_path, const std::string& png_path,
                           const std::function<std::string(const std::string& png)>& script) {
  // The same script twice: the one kept for the user draws png_path; the one run here draws a temporary
  // that is renamed into place, so a failed plot never leaves half a PNG.
  const std::string tmp_png = png_path + ".tmp", tmp_gp = gp_path + ".tmp";
  write_file_atomically(gp_path, script(png_path));
  write_file_atomically(tmp_gp, script(tmp_png));
  pid_t pid = 0;
  char arg0[] = "gnuplot";
  std::string arg1 = tmp_gp;
  char* argv[] = {arg0, arg1.data(), nullptr};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  int status = -1;
  const bool spawned = posix_spawnp(&pid, "gnuplot", &actions, nullptr, argv, environ) == 0;
  posix_spawn_file_actions_destroy(&actions);
  if (spawned) waitpid(pid, &status, 0);
  std::error_code ignored;
  std::filesystem::remove(tmp_gp, ignored);
  if (spawned && WIFEXITED(status) && WEXITSTATUS(status) == 0 && std::filesystem::exists(tmp_png)) {
    std::filesystem::rename(tmp_png, png_path);
    return png_path;
  }
  std::filesystem::remove(tmp_png, ignored);
  return spawned ? "no PNG (gnuplot failed; " + gp_path + " is the script)"
                 : "no PNG (gnuplot is not installed; run gnuplot " + gp_path + ")";
}

}  // namespace mtf::cli
