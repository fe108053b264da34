//! The platforms csms is deployed on: the image, the proxy, Kubernetes, and the tools that
//! check them where installed.

use super::*;

#[test]
fn the_image_builds_locked_and_runs_unprivileged_with_a_health_check() {
    let dockerfile = deploy_file("Dockerfile");
    assert!(dockerfile.contains("cargo build --release --locked -p csms"), "the build stage");
    let stage = parse::final_stage(&dockerfile);
    let user = stage.iter().rev().find(|(i, _)| i == "USER").map(|(_, u)| u.as_str()).expect("a USER");
    let uid = user.split(':').next().unwrap();
    assert!(!matches!(uid, "root" | "0") && uid.parse::<u32>().is_ok(), "USER {user}: a numeric uid, not root");
    let words = |instruction: &str| -> Vec<String> {
        let (_, rest) = stage.iter().find(|(i, _)| i == instruction).unwrap_or_else(|| panic!("no {instruction}"));
        serde_json::from_str(rest).unwrap_or_else(|e| panic!("{instruction} {rest}: {e}"))
    };
    assert_eq!(words("ENTRYPOINT"), ["csms"]);
    assert_eq!(words("CMD"), ["serve"]);
    assert_eq!(health_url(&dockerfile_health_command()).path(), "/health");
    let dockerignore = std::fs::read_to_string(parse::root().join(".dockerignore")).unwrap();
    for kept_out in ["target/", ".git"] {
        assert!(dockerignore.lines().any(|l| l.trim() == kept_out), ".dockerignore leaves out {kept_out}");
    }
}

#[test]
fn the_proxy_round_robins_the_api_and_keeps_charger_websockets_open_longer_than_csms() {
    let idle_timeout = defaults()["ocpp"]["idle_timeout_s"].as_integer().unwrap();
    let nginx = parse::nginx(&deploy_file("nginx.conf"));
    let locations = directives(&nginx, "location");
    let ocpp = locations.iter().find(|l| l.args.last().is_some_and(|a| a == "/ocpp/")).expect("location /ocpp/");
    let args =
        |name: &str| -> Vec<Vec<String>> { directives(&ocpp.block, name).iter().map(|d| d.args.clone()).collect() };
    assert_eq!(args("proxy_http_version"), [["1.1"]]);
    let headers = args("proxy_set_header");
    assert!(headers.contains(&vec!["Upgrade".to_owned(), "$http_upgrade".to_owned()]), "{headers:?}");
    assert!(headers.iter().any(|h| h[0] == "Connection" && h[1].contains("upgrade")), "{headers:?}");
    for timeout in ["proxy_read_timeout", "proxy_send_timeout"] {
        let value = args(timeout).first().unwrap_or_else(|| panic!("/ocpp/: no {timeout}"))[0].clone();
        let seconds: i64 = value.strip_suffix('s').unwrap_or(&value).parse().unwrap();
        assert!(seconds > idle_timeout, "/ocpp/ {timeout} {value}: csms's idle timeout is {idle_timeout}s");
    }
    let api = locations.iter().find(|l| l.args == ["/"] && !directives(&l.block, "proxy_pass").is_empty());
    let upstream = &directives(&api.expect("location / to the API").block, "proxy_pass")[0].args[0];
    let name = upstream.trim_start_matches("http://");
    let block = &directives(&nginx, "upstream").into_iter().find(|u| u.args[0] == name).unwrap().block;
    for balancing in ["hash", "ip_hash", "least_conn", "random"] {
        assert!(directives(block, balancing).is_empty(), "the API's upstream {name} is round-robin, not {balancing}");
    }
}

#[test]
fn the_kubernetes_deployment_is_probed_bounded_and_unprivileged_with_a_disruption_budget() {
    let objects = k8s_objects();
    for kind in ["Deployment", "Service", "ConfigMap", "Secret", "PodDisruptionBudget", "Kustomization"] {
        assert!(objects.contains_key(kind), "deploy/k8s has no {kind}");
    }
    let deployment = &objects["Deployment"];
    assert_eq!(deployment["spec"]["replicas"], 2);
    let pod = &deployment["spec"]["template"]["spec"];
    let container = k8s_container(&objects);
    assert_eq!(container["livenessProbe"]["httpGet"]["path"], "/health");
    assert_eq!(container["readinessProbe"]["httpGet"]["path"], "/ready");
    for bound in ["requests", "limits"] {
        for resource in ["cpu", "memory"] {
            assert!(container["resources"][bound][resource].is_string(), "resources.{bound}.{resource}");
        }
    }
    let non_root =
        |c: &Value| c["securityContext"]["runAsNonRoot"] == true || pod["securityContext"]["runAsNonRoot"] == true;
    let all_containers =
        pod["containers"].as_array().unwrap().iter().chain(pod["initContainers"].as_array().into_iter().flatten());
    for c in all_containers {
        assert!(non_root(c), "container {}: runAsNonRoot", c["name"]);
        assert_eq!(c["securityContext"]["readOnlyRootFilesystem"], true, "container {}", c["name"]);
        assert_eq!(c["securityContext"]["allowPrivilegeEscalation"], false, "container {}", c["name"]);
        // Its settings come from the ConfigMap and the Secret that are here.
        for source in c["envFrom"].as_array().unwrap() {
            let (kind, reference) =
                if source.get("secretRef").is_some() { ("Secret", "secretRef") } else { ("ConfigMap", "configMapRef") };
            assert_eq!(source[reference]["name"], objects[kind]["metadata"]["name"], "container {}", c["name"]);
        }
    }
    let selector = &deployment["spec"]["selector"]["matchLabels"];
    let pdb = &objects["PodDisruptionBudget"]["spec"];
    assert_eq!(pdb["minAvailable"], 1);
    assert_eq!(pdb["selector"]["matchLabels"], *selector, "the budget covers the Deployment's pods");
    assert_eq!(objects["Service"]["spec"]["selector"], *selector, "the Service selects the Deployment's pods");
    for (key, value) in objects["Secret"]["stringData"].as_object().unwrap() {
        assert!(value.as_str().unwrap().contains("CHANGE-ME"), "Secret {key}: a placeholder, clearly marked");
    }
    let listed: BTreeSet<String> = objects["Kustomization"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| format!("k8s/{}", r.as_str().unwrap()))
        .collect();
    let present: BTreeSet<String> = parse::deploy_files()
        .into_iter()
        .map(|(name, _)| name)
        .filter(|n| n.starts_with("k8s/") && n != "k8s/kustomization.yaml")
        .collect();
    assert_eq!(listed, present, "kustomization.yaml lists every manifest");
}

#[test]
fn kubectl_and_docker_compose_accept_the_files_where_installed() {
    let deploy = parse::root().join("deploy");
    let run = |program: &str, args: &[&str]| std::process::Command::new(program).args(args).output();
    // `kubectl apply --dry-run=client` asks an API server for its types even so; kustomize
    // builds every manifest offline.
    match run("kubectl", &["kustomize", &deploy.join("k8s").to_string_lossy()]) {
        Ok(out) => assert!(out.status.success(), "kubectl kustomize: {}", String::from_utf8_lossy(&out.stderr)),
        Err(e) => println!("note: kubectl is not installed ({e}): deploy/k8s not checked by it"),
    }
    // Compose v2 (the docker plugin), else v1 (Debian's docker-compose); neither needs a daemon.
    let compose_file = deploy.join("docker-compose.yml").to_string_lossy().into_owned();
    let candidates: [(&str, &[&str]); 2] = [("docker", &["compose"]), ("docker-compose", &[])];
    let found = candidates
        .into_iter()
        .find(|(program, first)| run(program, &[*first, &["version"]].concat()).is_ok_and(|v| v.status.success()));
    match found {
        Some((program, first)) => {
            let out = run(program, &[first, &["-f", &compose_file, "config", "-q"]].concat()).unwrap();
            assert!(out.status.success(), "{program} config: {}", String::from_utf8_lossy(&out.stderr));
        }
        None => println!("note: docker compose is not installed: docker-compose.yml not checked by it"),
    }
}
