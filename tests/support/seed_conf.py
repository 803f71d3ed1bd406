"""The seed how-to's nginx.conf (../shared/seed/*.txt, "配置nginx" step 2), kept as a regression
harness: the tests run it against the same fixtures to prove they catch what it breaks (HEAD
manifests sent to hosted, a Host header built from the upstream's port, 2G body limit, buffered
uploads).

Transcribed directive for directive; only the addresses, listen ports and certificate paths are
adapted (pid/daemon/error_log come from the harness's -g). Same keyword interface as
components.gateway.nginx_conf.render_nginx_conf so run_gateway() can start either.
"""
from __future__ import annotations


def render_seed_conf(*, hosted_upstream: str, group_upstream: str, web_upstream: str,
                     registry_port: int, web_port: int, cert_path: str, key_path: str) -> str:
    # Original values: web 192.168.129.111:9898, get (group) :9896, put (hosted) :9897,
    # listen 8000 / 8443, certs /opt/docker/registry/certs/domain.{crt,key}, web Host port 10653.
    return f"""user  root;
worker_processes  4;

events {{
    worker_connections  1024;
}}

http{{

upstream nexus_web {{
    server {web_upstream};
}}

upstream nexus_docker_get {{
    server {group_upstream};
}}

upstream nexus_docker_put {{
    server {hosted_upstream};
}}

# http for nexus
server {{
    listen {web_port};

    location / {{
        proxy_pass  http://nexus_web;
        # proxy_redirect  off;
        client_max_body_size 1g;
        proxy_connect_timeout 3600;
        proxy_send_timeout 3600;
        proxy_read_timeout 3600;
        proxy_buffering off;
        proxy_request_buffering off;
        proxy_set_header Host $host:{web_port};
        proxy_set_header X-Real-IP $remote_addr;
        proxy_set_header X-Forwarded-For
        $proxy_add_x_forwarded_for;
    }}
}}


# HTTPS server for docker registry
server {{
    listen       {registry_port} ssl;
#    server_name  192.168.129.112;
    client_max_body_size 2G;

    ssl_certificate      {cert_path};
    ssl_certificate_key  {key_path};

    ssl_session_cache    shared:SSL:10m;
    ssl_session_timeout  60m;
    ssl_ciphers  HIGH:!aNULL:!MD5;
    ssl_prefer_server_ciphers  on;

    chunked_transfer_encoding on;
    # 设置默认使用推送代理
    set $upstream "nexus_docker_put";
    # 当请求是GET，也就是拉取镜像的时候，这里改为拉取代理，如此便解决了拉取和推送的端口统一
    if ( $request_method ~* 'GET') {{
        set $upstream "nexus_docker_get";
    }}
    # 只有本地仓库才支持搜索，所以将搜索请求转发到本地仓库，否则出现500报错
    if ($request_uri ~ '/search') {{
        set $upstream "nexus_docker_put";
    }}
    location / {{
        proxy_pass http://$upstream;
        proxy_connect_timeout 3600;
        proxy_send_timeout 3600;
        proxy_read_timeout 3600;

        # nexus 支持
        proxy_set_header Host $host:$proxy_port;
        proxy_set_header X-Real-IP $remote_addr;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        }}
    }}
}}
"""
