//! deploy/ kept true to the code: every `CSMS__…` variable names a setting, every port is the
//! one csms listens on, every probe, health check and scrape path answers on a running server
//! (the health checks run the real `csms health`), every metric the dashboard reads is one csms
//! exports, and the image, the proxy and the Kubernetes objects keep their safety settings.
//! kubectl and docker compose check the files too where they are installed.

mod layout;
mod parse;
mod platforms;

use crate::helpers::spawn_app;
use csms::metrics::NAMES;
use layout::{
    compose_nodes, dockerfile_health_command, health_commands, health_url, k8s_container, k8s_objects, resolve_port,
};
use parse::{Directive, default_port, defaults, deploy_file, directives, host_port, scalar, yaml};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

#[test]
fn every_file_in_deploy_is_there_and_every_yaml_and_json_file_parses() {
    let files = parse::deploy_files();
    for expected in [
        "Dockerfile",
        "README.md",
        "docker-compose.yml",
        "nginx.conf",
        "prometheus.yml",
        "grafana/dashboards/csms.json",
        "grafana/provisioning/dashboards/csms.yml",
        "grafana/provisioning/datasources/prometheus.yml",
        "k8s/kustomization.yaml",
    ] {
        assert!(files.iter().any(|(name, _)| name == expected), "deploy/{expected} is missing");
    }
    for (name, text) in &files {
        if name.ends_with(".yml") || name.ends_with(".yaml") {
            assert!(!parse::yaml_documents(name, text).is_empty(), "{name}: no YAML document");
        } else if name.ends_with(".json") {
            serde_json::from_str::<Value>(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
}

#[test]
fn every_csms_variable_in_deploy_names_a_setting_and_fits_its_type() {
    let defaults = defaults();
    let mut seen = BTreeSet::new();
    for (name, text) in parse::deploy_files() {
        for (at, _) in text.match_indices("CSMS__") {
            let variable: String =
                text[at..].chars().take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_').collect();
            if variable == "CSMS__" {
                continue; // the pattern, as in `CSMS__<SECTION>__<KEY>` or `CSMS__…`
            }
            assert!(parse::setting(&defaults, &variable).is_some(), "{name}: {variable} is no setting of default.toml");
            seen.insert(variable);
        }
        if !(name.ends_with(".yml") || name.ends_with(".yaml")) {
            continue;
        }
        // Each value given to a variable parses as its setting's type.
        let mut pending: Vec<Value> = parse::yaml_documents(&name, &text);
        while let Some(value) = pending.pop() {
            match value {
                Value::Object(map) => {
                    for (key, value) in map {
                        if let (Some(default), Some(given)) = (parse::setting(&defaults, &key), scalar(&value)) {
                            let fits = match default {
                                toml::Value::Integer(_) => given.parse::<i64>().is_ok(),
                                toml::Value::Boolean(_) => given == "true" || given == "false",
                                toml::Value::String(_) if key.ends_with("__LISTEN") => {
                                    given.parse::<std::net::SocketAddr>().is_ok()
                                }
                                _ => true,
                            };
                            assert!(fits, "{name}: {key}={given:?} does not fit the default {default}");
                        }
                        pending.push(value);
                    }
                }
                Value::Array(items) => pending.extend(items),
                _ => {}
            }
        }
    }
    for needed in ["CSMS__DATABASE__URL", "CSMS__REDIS__URL", "CSMS__API__OPERATOR_TOKEN", "CSMS__AUTH__JWT_SECRET"] {
        assert!(seen.contains(needed), "deploy/ never sets {needed}");
    }
}

#[test]
fn every_port_deploy_gives_csms_is_the_one_it_listens_on() {
    let defaults = defaults();
    let (http, ocpp) = (default_port(&defaults, "http"), default_port(&defaults, "ocpp"));
    let both = BTreeSet::from([http, ocpp]);

    // The image.
    let stage = parse::final_stage(&deploy_file("Dockerfile"));
    let exposed: BTreeSet<u16> = stage
        .iter()
        .filter(|(i, _)| i == "EXPOSE")
        .flat_map(|(_, p)| p.split_whitespace())
        .map(|p| p.parse().unwrap())
        .collect();
    assert_eq!(exposed, both, "Dockerfile EXPOSE");
    for (source, command) in health_commands() {
        assert_eq!(health_url(&command).port_or_known_default(), Some(http), "{source}");
    }

    // The listen settings, wherever given.
    for (name, text) in parse::deploy_files().into_iter().filter(|(name, _)| !name.ends_with(".md")) {
        for (variable, port) in [("CSMS__HTTP__LISTEN", http), ("CSMS__OCPP__LISTEN", ocpp)] {
            for value in parse::values_after(&text, variable) {
                assert_eq!(host_port(&value).1, port, "{name}: {variable}={value}");
            }
        }
    }

    // The compose nodes, and who reaches them: the proxy and Prometheus.
    let nodes = compose_nodes();
    assert!(nodes.len() >= 2, "docker-compose.yml: two csms nodes expected, found {:?}", nodes.keys());
    for (name, service) in &nodes {
        let exposed: BTreeSet<u16> =
            service["expose"].as_array().unwrap().iter().map(|p| scalar(p).unwrap().parse().unwrap()).collect();
        assert_eq!(exposed, both, "compose {name}: expose");
    }
    let node_names: BTreeSet<String> = nodes.keys().cloned().collect();
    let nginx = parse::nginx(&deploy_file("nginx.conf"));
    let upstreams: BTreeMap<&str, &Directive> =
        directives(&nginx, "upstream").into_iter().map(|u| (u.args[0].as_str(), u)).collect();
    let mut proxied = BTreeSet::new();
    for location in directives(&nginx, "location") {
        for pass in directives(&location.block, "proxy_pass") {
            let upstream = pass.args[0].strip_prefix("http://").unwrap();
            let servers = &upstreams.get(upstream).unwrap_or_else(|| panic!("nginx: no upstream {upstream}")).block;
            let port = if location.args.last().unwrap().starts_with("/ocpp/") { ocpp } else { http };
            let hosts: BTreeSet<String> = directives(servers, "server")
                .iter()
                .map(|server| {
                    let (host, p) = host_port(&server.args[0]);
                    assert_eq!(p, port, "nginx upstream {upstream}: {}", server.args[0]);
                    host
                })
                .collect();
            assert_eq!(hosts, node_names, "nginx upstream {upstream}: every compose node, and only those");
            proxied.insert(port);
        }
    }
    assert_eq!(proxied, both, "nginx proxies both the API and the chargers");
    let prometheus = yaml("prometheus.yml");
    let mut scraped = BTreeSet::new();
    for job in prometheus["scrape_configs"].as_array().unwrap() {
        for static_config in job["static_configs"].as_array().unwrap() {
            for target in static_config["targets"].as_array().unwrap() {
                let (host, port) = host_port(target.as_str().unwrap());
                assert_eq!(port, http, "prometheus.yml: {target}");
                scraped.insert(host);
            }
        }
    }
    assert_eq!(scraped, node_names, "prometheus.yml scrapes every compose node");

    // Kubernetes.
    let objects = k8s_objects();
    let container = k8s_container(&objects);
    for (name, port) in [("http", http), ("ocpp", ocpp)] {
        assert_eq!(resolve_port(container, &name.into()), port, "k8s container port {name}");
    }
    let service_ports: BTreeSet<u16> = objects["Service"]["spec"]["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| resolve_port(container, &p["targetPort"]))
        .collect();
    assert_eq!(service_ports, both, "k8s Service targetPorts");
    for probe in ["livenessProbe", "readinessProbe"] {
        assert_eq!(resolve_port(container, &container[probe]["httpGet"]["port"]), http, "k8s {probe}");
    }
    let annotations = &objects["Deployment"]["spec"]["template"]["metadata"]["annotations"];
    assert_eq!(annotations["prometheus.io/port"], http.to_string(), "k8s prometheus.io/port");
}

#[tokio::test]
async fn every_probe_health_check_and_scrape_path_answers_on_a_running_server() {
    let mut paths = BTreeMap::new();
    let objects = k8s_objects();
    let container = k8s_container(&objects);
    for probe in ["livenessProbe", "readinessProbe"] {
        paths.insert(format!("k8s {probe}"), container[probe]["httpGet"]["path"].as_str().unwrap().to_owned());
    }
    let annotations = &objects["Deployment"]["spec"]["template"]["metadata"]["annotations"];
    paths.insert("k8s prometheus.io/path".into(), annotations["prometheus.io/path"].as_str().unwrap().to_owned());
    for job in yaml("prometheus.yml")["scrape_configs"].as_array().unwrap() {
        let path = job.get("metrics_path").and_then(Value::as_str).unwrap_or("/metrics");
        paths.insert(format!("prometheus.yml job {}", job["job_name"]), path.to_owned());
    }
    // The proxy's health check goes through it to a node.
    let compose = yaml("docker-compose.yml");
    let test = compose["services"]["proxy"]["healthcheck"]["test"].as_array().unwrap();
    let url = test.iter().filter_map(Value::as_str).find(|w| w.starts_with("http")).unwrap();
    paths.insert("compose proxy healthcheck".into(), reqwest::Url::parse(url).unwrap().path().to_owned());
    assert!(paths.values().any(|p| p == "/ready"), "something checks /ready: {paths:?}");

    let app = spawn_app().await;
    let base = format!("http://{}", app.http_addr);
    for (source, path) in &paths {
        let answer = csms::probe::check(&format!("{base}{path}"), Duration::from_secs(10)).await;
        assert!(answer.is_ok(), "{source}: GET {path}: {answer:?}");
    }
    // The health checks run the real binary, with the URL moved to the test server.
    for (source, command) in health_commands() {
        let url = health_url(&command);
        for (path, healthy) in [(url.path(), true), ("/no-such-path", false)] {
            let status = tokio::process::Command::new(env!("CARGO_BIN_EXE_csms"))
                .args(["health", "--url", &format!("{base}{path}")])
                .output()
                .await
                .expect("running csms health")
                .status;
            assert_eq!(status.success(), healthy, "{source}: csms health on {path}: {status}");
            assert!(healthy || status.code() == Some(1), "{source}: unhealthy exits 1, not {status}");
        }
    }
    app.stop().await;
}

#[test]
fn every_metric_the_dashboard_and_prometheus_read_is_one_csms_exports() {
    // A histogram's series carry `_bucket`, `_sum` or `_count` after its name.
    let base = |name: &str| ["_bucket", "_sum", "_count"].iter().find_map(|s| name.strip_suffix(s)).map(str::to_owned);
    let exported = |name: &str| NAMES.contains(&name) || base(name).is_some_and(|b| NAMES.contains(&b.as_str()));
    let dashboard: Value = serde_json::from_str(&deploy_file("grafana/dashboards/csms.json")).unwrap();
    let mut read = BTreeSet::new();
    let mut uids = BTreeSet::new();
    let mut pending = vec![&dashboard];
    while let Some(value) = pending.pop() {
        match value {
            Value::Object(map) => {
                if let Some(expr) = map.get("expr").and_then(Value::as_str) {
                    read.extend(parse::promql_metrics(expr));
                }
                if let Some(uid) = map.get("datasource").and_then(|d| d.get("uid")).and_then(Value::as_str) {
                    uids.insert(uid.to_owned());
                }
                pending.extend(map.values());
            }
            Value::Array(items) => pending.extend(items),
            Value::String(s) => {
                // A template variable's `label_values(metric, label)`.
                if let Some(args) = s.strip_prefix("label_values(") {
                    read.insert(args.split([',', '{', ')']).next().unwrap().trim().to_owned());
                }
            }
            _ => {}
        }
    }
    for (name, text) in parse::deploy_files() {
        if name == "prometheus.yml" {
            let words = text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'));
            read.extend(words.filter(|w| w.starts_with("csms_")).map(str::to_owned));
        }
    }
    for name in &read {
        assert!(exported(name), "{name} is not in csms::metrics::NAMES");
    }
    for name in NAMES {
        assert!(read.iter().any(|r| r == name || base(r).as_deref() == Some(name)), "no panel over {name}");
    }
    // The panels' data source is the provisioned one.
    let provisioned = yaml("grafana/provisioning/datasources/prometheus.yml");
    let provisioned: BTreeSet<String> =
        provisioned["datasources"].as_array().unwrap().iter().map(|d| d["uid"].as_str().unwrap().to_owned()).collect();
    assert!(
        !uids.is_empty() && uids.is_subset(&provisioned),
        "dashboard data sources {uids:?}, provisioned {provisioned:?}"
    );
}

#[test]
fn the_orchestrators_wait_longer_than_a_node_takes_to_drain() {
    let drain = defaults()["cluster"]["drain_seconds"].as_integer().unwrap();
    for (name, service) in compose_nodes() {
        let grace =
            service["stop_grace_period"].as_str().unwrap_or_else(|| panic!("compose {name}: no stop_grace_period"));
        let seconds: i64 = grace.strip_suffix('s').and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("{grace}"));
        assert!(seconds > drain + 5, "compose {name}: stop_grace_period {grace} against a drain of {drain} s");
    }
    let objects = k8s_objects();
    let grace = objects["Deployment"]["spec"]["template"]["spec"]["terminationGracePeriodSeconds"].as_i64().unwrap();
    assert!(grace > drain + 5, "terminationGracePeriodSeconds {grace} against a drain of {drain} s");
}
