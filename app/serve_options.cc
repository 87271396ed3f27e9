#include "app/serve_options.h"

namespace pl::cli {

void add_http_options(CLI::App* serve, HttpOptions* o) {
  serve->add_option("--listen", o->listen, "Address and port (port 0: any free one)")->capture_default_str();
  serve->add_option("--threads", o->threads, "I/O threads")->capture_default_str();
  serve->add_option("--idle-timeout", o->idle_timeout_s, "Seconds before an idle connection is closed")
      ->capture_default_str();
  serve
      ->add_option("--max-connections", o->max_connections,
                   "Connections open at once; more wait, taking the place of idle ones (default: the open-file "
                   "limit less 128, at most 4096)")
      ->check(CLI::NonNegativeNumber);
  serve
      ->add_option("--max-connections-per-client", o->max_connections_per_client,
                   "Connections open at once from one address; more are answered 429 (default: a quarter of "
                   "--max-connections, at least 8)")
      ->check(CLI::NonNegativeNumber);
  serve->add_option("--max-live", o->max_live_subscribers, "Live feeds open at once; more are answered 503")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  serve->add_option("--max-uploads", o->max_uploads, "Uploads in progress at once; more are answered 503 (0: no cap)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  serve
      ->add_option("--max-uploads-per-token", o->max_uploads_per_token,
                   "Uploads in progress at once with one token; more are answered 429 (0: no cap)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  serve
      ->add_option("--upload-timeout", o->upload_timeout_s,
                   "Seconds in which an upload's whole body must come; a slower one is cut off")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
}

}  // namespace pl::cli
