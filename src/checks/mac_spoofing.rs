//! Check `mac-spoofing`: when the node is a virtual machine, MAC address spoofing must be enabled on
//! its network adapters (by the hypervisor, from outside the VM), or containers' traffic with their
//! own MAC addresses is dropped. Detects the hypervisor from the node's hardware model, adapter
//! descriptions and the Node's providerID, by the markers of `checks/data/hypervisors.toml`. See
//! checks/mac-spoofing.toml.
use super::Eval;
use crate::findings::{Evidence, Status, Subject};
use crate::model::node::NodeView;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Platform {
    HyperV,
    VMware,
    Kvm,
    Xen,
    Cloud(&'static str),
    Physical,
}

impl Platform {
    /// The platform a rule of `checks/data/hypervisors.toml` names.
    fn of(rule: &'static crate::catalogue::data::PlatformRule) -> Platform {
        use crate::catalogue::data::PlatformKind;
        match rule.platform {
            PlatformKind::HyperV => Platform::HyperV,
            PlatformKind::Vmware => Platform::VMware,
            PlatformKind::Kvm => Platform::Kvm,
            PlatformKind::Xen => Platform::Xen,
            PlatformKind::Cloud => Platform::Cloud(rule.cloud.as_deref().unwrap_or("cloud")),
        }
    }
}

pub fn run(ev: &mut Eval) {
    for view in ev.node_views() {
        run_on(ev, view);
    }
}

fn run_on<'a>(ev: &mut Eval<'a>, view: NodeView<'a>) {
    let Some(info) = ev.node_info(&view) else {
        return;
    };
    ev.part("vm-mac-spoofing");
    let node = view.name();
    let vm_name = view
        .raw
        .hostname
        .ready()
        .cloned()
        .unwrap_or_else(|| node.split('.').next().unwrap_or(&node).to_string());
    let mut evidence: Vec<Evidence> = Vec::new();
    let mut platform: Option<Platform> = None;
    let markers = crate::catalogue::data::hypervisors();
    if let Some(provider) = view.node_object().and_then(|n| n.spec.provider_id.clone()) {
        if let Some(rule) = markers.by_provider_id(&provider) {
            platform = Some(Platform::of(rule));
            evidence.push(Evidence::api(
                format!("Node/{node} .spec.providerID"),
                provider,
            ));
        }
    }
    let model = format!(
        "{} {}",
        info.manufacturer.as_deref().unwrap_or(""),
        info.model.as_deref().unwrap_or("")
    );
    let m = model.to_ascii_lowercase();
    if platform.is_none() && !m.trim().is_empty() {
        platform = markers.by_hardware(&m).map(Platform::of);
        evidence.push(Evidence::api(
            "Win32_ComputerSystem Manufacturer/Model",
            model.trim().to_string(),
        ));
    }
    if let Some(adapters) = view.raw.adapters.ready() {
        for a in adapters {
            if let Some(rule) = markers.by_adapter(&a.interface_description) {
                if platform.is_none() {
                    platform = Some(Platform::of(rule));
                }
                evidence.push(Evidence::api(
                    format!("Get-NetAdapter {}", a.name),
                    a.interface_description.clone(),
                ));
                break;
            }
        }
    }
    if platform.is_none() && info.is_vm == Some(true) {
        platform = Some(Platform::Kvm);
        evidence.push(Evidence::api("node/node.json is_vm", "true"));
    }
    if platform.is_none()
        && !m.trim().is_empty()
        && info.hypervisor_present != Some(true)
        && info.is_vm != Some(true)
    {
        platform = Some(Platform::Physical);
    }
    let l2bridge = view.raw.hns_networks.ready().and_then(|ns| {
        ns.iter()
            .find(|n| n.type_.eq_ignore_ascii_case("l2bridge"))
            .map(|n| n.name.clone())
    });
    let bridge_note = l2bridge
        .as_ref()
        .map(|n| {
            format!(
                " L2Bridge network {n} puts every container's own MAC address on the VM's adapter."
            )
        })
        .unwrap_or_default();
    let vm_status = if l2bridge.is_some() {
        Status::Warn
    } else {
        Status::Info
    };
    let subject = Subject::node(node.clone());
    match platform {
        None => {
            ev.emit(
                Status::Skip,
                subject,
                "could not tell whether the node is a virtual machine (no hardware model, adapter description or providerID captured)",
            );
        }
        Some(Platform::Physical) => {
            let f = ev.emit(
                Status::Pass,
                subject,
                format!(
                    "{node} is a physical machine ({}): MAC address spoofing does not apply",
                    model.trim()
                ),
            );
            for e in evidence {
                f.evidence(e);
            }
        }
        Some(Platform::HyperV) => {
            let fix = ev.fix("hyperv", &[("vm", &vm_name), ("node", &node)]);
            let f = ev.emit(
                vm_status,
                subject,
                format!(
                    "{node} is a Hyper-V virtual machine: MAC address spoofing must be on for all its network adapters, or its Windows pods have no network connectivity.{bridge_note}"
                ),
            );
            for e in evidence {
                f.evidence(e);
            }
            f.with_fix(fix);
        }
        Some(Platform::VMware) => {
            let fix = ev.fix("vmware", &[("vm", &vm_name), ("node", &node)]);
            let f = ev.emit(
                vm_status,
                subject,
                format!(
                    "{node} is a VMware virtual machine: its port group must accept MAC address changes and forged transmits (VMware's form of MAC spoofing), or its Windows pods have no network connectivity.{bridge_note}"
                ),
            );
            for e in evidence {
                f.evidence(e);
            }
            f.with_fix(fix);
        }
        Some(Platform::Kvm) | Some(Platform::Xen) => {
            let fix = ev.fix("other_hypervisor", &[("vm", &vm_name), ("node", &node)]);
            let f = ev.emit(
                vm_status,
                subject,
                format!(
                    "{node} is a virtual machine ({}): the hypervisor's port security must let the VM send frames with the containers' MAC addresses (MAC spoofing), or its Windows pods have no network connectivity.{bridge_note}",
                    model.trim()
                ),
            );
            for e in evidence {
                f.evidence(e);
            }
            f.with_fix(fix);
        }
        Some(Platform::Cloud(cloud)) => {
            ev.part("cloud-vm");
            let fix = ev.fix("cloud", &[("cloud", cloud), ("node", &node)]);
            // The distribution's own CNI gives pods addresses the provider's network delivers
            // (checks/data/layouts.toml provider_network): its L2Bridge network is as designed.
            let provider_network = view
                .layout()
                .and_then(|l| l.layout())
                .is_some_and(|l| l.provider_network);
            let f = ev.emit(
                if l2bridge.is_some() && !provider_network {
                    Status::Warn
                } else {
                    Status::Info
                },
                subject,
                format!(
                    "{node} is a {cloud} virtual machine: MAC address spoofing cannot be switched on there, so pod traffic must not rely on container MAC addresses reaching the provider's network (use an overlay or the provider's CNI).{bridge_note}"
                ),
            );
            for e in evidence {
                f.evidence(e);
            }
            f.with_fix(fix);
        }
    }
}
