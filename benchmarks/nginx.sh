# Sourced by benchmarks/run.sh and benchmarks/loop_io_trace.sh: nginx on 127.0.0.1 for the benchmarks.
#
# start_nginx DIR PORT starts one worker serving a 4 KiB page with `keepalive_timeout 0` (a fresh
# connection per request) from DIR, and sets:
#   nginx_url     the page, always 200;
#   flap10_url    the page, but 503 while the tens digit of the current second is even (10 s failing,
#                 10 s healthy);
#   flap60_url    the page, but 503 during even minutes (60 s failing, 60 s healthy);
#   nginx_status  stub_status (requests served so far).
# stop_nginx DIR stops it. Needs bench_checks' `get` in $bench to wait for it.

start_nginx() {
  local dir=$1 port=$2 user=""
  mkdir -p "$dir/www" "$dir/tmp"
  {
    printf '<!doctype html><html><head><title>Shop</title></head><body>'
    for _ in $(seq 1 200); do printf '<p>Product</p>'; done
  } | head -c 4070 >"$dir/www/page.html"
  printf 'Add to cart</body></html>\n' >>"$dir/www/page.html"
  truncate -s 4096 "$dir/www/page.html"
  [ "$(id -u)" -eq 0 ] && user="user root;"
  cat >"$dir/nginx.conf" <<CONF
worker_processes 1;
worker_rlimit_nofile 65536;
$user
pid $dir/nginx.pid;
error_log $dir/error.log;
events { worker_connections 20000; }
http {
  access_log off;
  keepalive_timeout 0;
  client_body_temp_path $dir/tmp;
  proxy_temp_path $dir/tmp;
  fastcgi_temp_path $dir/tmp;
  uwsgi_temp_path $dir/tmp;
  scgi_temp_path $dir/tmp;
  map \$msec \$flap10 { "~^\d*[02468]\d\." 1; default 0; }
  map \$time_iso8601 \$flap60 { "~T\d\d:\d[02468]:" 1; default 0; }
  server {
    listen 127.0.0.1:$port backlog=4096;
    root $dir/www;
    location / { try_files /page.html =404; }
    location /flap10 { if (\$flap10) { return 503; } try_files /page.html =404; }
    location /flap60 { if (\$flap60) { return 503; } try_files /page.html =404; }
    location = /nginx_status { stub_status; }
  }
}
CONF
  /usr/sbin/nginx -c "$dir/nginx.conf" -p "$dir"
  nginx_url="http://127.0.0.1:$port/page.html"
  flap10_url="http://127.0.0.1:$port/flap10"
  flap60_url="http://127.0.0.1:$port/flap60"
  nginx_status="http://127.0.0.1:$port/nginx_status"
  local i
  for i in $(seq 1 100); do
    "$bench" get --url "$nginx_url" --timeout-ms 500 >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "nginx does not answer on $nginx_url" >&2
  return 1
}

stop_nginx() {
  [ -f "$1/nginx.conf" ] && /usr/sbin/nginx -c "$1/nginx.conf" -p "$1" -s stop 2>/dev/null
  return 0
}
