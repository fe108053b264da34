//! Where deploy/'s files keep what `deploy_files` checks: the compose file's csms services and
//! nodes, the Kubernetes objects and the csms container, and the `csms health` commands of the
//! image and the compose nodes.

use super::parse::{self, deploy_file, yaml};
use serde_json::Value;
use std::collections::BTreeMap;

/// The csms services of the compose file (those built from the Dockerfile), by name.
fn compose_csms_services() -> BTreeMap<String, Value> {
    let compose = yaml("docker-compose.yml");
    let services = compose["services"].as_object().expect("docker-compose.yml: services").clone();
    services.into_iter().filter(|(_, service)| service.get("build").is_some()).collect()
}

/// The compose services that run `csms serve` (the nodes), by name.
pub(crate) fn compose_nodes() -> BTreeMap<String, Value> {
    let serves = |service: &Value| service["command"].as_array().is_some_and(|c| c.contains(&"serve".into()));
    compose_csms_services().into_iter().filter(|(_, service)| serves(service)).collect()
}

/// Every Kubernetes object in deploy/k8s, by kind.
pub(crate) fn k8s_objects() -> BTreeMap<String, Value> {
    let mut objects = BTreeMap::new();
    for (name, text) in parse::deploy_files() {
        if name.starts_with("k8s/") {
            for object in parse::yaml_documents(&name, &text) {
                let kind = object["kind"].as_str().unwrap_or_else(|| panic!("{name}: no kind")).to_owned();
                assert!(objects.insert(kind.clone(), object).is_none(), "{name}: a second {kind}");
            }
        }
    }
    objects
}

/// The csms container of the Deployment.
pub(crate) fn k8s_container(objects: &BTreeMap<String, Value>) -> &Value {
    let containers = objects["Deployment"]["spec"]["template"]["spec"]["containers"].as_array().unwrap();
    containers.iter().find(|c| c["name"] == "csms").expect("the Deployment's csms container")
}

/// A container port, by number or by the name of one of `container`'s ports.
pub(crate) fn resolve_port(container: &Value, port: &Value) -> u16 {
    if let Some(number) = port.as_u64() {
        return u16::try_from(number).unwrap();
    }
    let ports = container["ports"].as_array().unwrap();
    let named = ports.iter().find(|p| p["name"] == *port).unwrap_or_else(|| panic!("no container port {port}"));
    u16::try_from(named["containerPort"].as_u64().unwrap()).unwrap()
}

/// The Dockerfile's HEALTHCHECK command, as the words of its exec form.
pub(crate) fn dockerfile_health_command() -> Vec<String> {
    let stage = parse::final_stage(&deploy_file("Dockerfile"));
    let (_, healthcheck) = stage.iter().find(|(i, _)| i == "HEALTHCHECK").expect("the Dockerfile has a HEALTHCHECK");
    let (_, command) = healthcheck.split_once("CMD ").expect("HEALTHCHECK … CMD [\"csms\", \"health\", …]");
    serde_json::from_str(command.trim()).expect("HEALTHCHECK's CMD in exec form")
}

/// The URL a `csms health` command asks (its `--url`, or the default).
pub(crate) fn health_url(command: &[String]) -> reqwest::Url {
    let at = command.iter().position(|w| w == "csms").expect("a `csms health` command");
    assert_eq!(command.get(at + 1).map(String::as_str), Some("health"), "{command:?}");
    let url = command.iter().skip_while(|w| *w != "--url").nth(1).map_or(csms::probe::DEFAULT_URL, String::as_str);
    reqwest::Url::parse(url).unwrap_or_else(|e| panic!("{url:?}: {e}"))
}

/// The `csms health` commands of the Dockerfile and the compose nodes, with where they are.
pub(crate) fn health_commands() -> Vec<(String, Vec<String>)> {
    let mut commands = vec![("Dockerfile HEALTHCHECK".to_owned(), dockerfile_health_command())];
    for (name, service) in compose_nodes() {
        let test: Vec<String> = serde_json::from_value(service["healthcheck"]["test"].clone())
            .unwrap_or_else(|e| panic!("compose {name}: healthcheck.test: {e}"));
        commands.push((format!("compose {name} healthcheck"), test));
    }
    commands
}
