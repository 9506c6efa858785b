//! Check `mac-spoofing`: when the node is a virtual machine, MAC address spoofing must be enabled on
//! its network adapters (by the hypervisor, from outside the VM), or containers' traffic with their
//! own MAC addresses is dropped. Detects the hypervisor from the node's hardware model, adapter
//! descriptions and the Node's providerID. See checks/mac-spoofing.toml.
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

pub fn run(ev: &mut Eval) {
    for view in ev.node_views() {
        run_on(ev, view);
    }
}

fn run_on<'a>(ev: &mut Eval<'a>, view: NodeView<'a>) {
    let Some(info) = ev.node_info(&view) else {
        return;
    };
    let node = view.name();
    let vm_name = view
        .raw
        .hostname
        .ready()
        .cloned()
        .unwrap_or_else(|| node.split('.').next().unwrap_or(&node).to_string());
    let mut evidence: Vec<Evidence> = Vec::new();
    let mut platform: Option<Platform> = None;
    if let Some(provider) = view.node_object().and_then(|n| n.spec.provider_id.clone()) {
        let p = provider.to_ascii_lowercase();
        let cloud = if p.starts_with("azure://") {
            Some("Azure")
        } else if p.starts_with("aws://") {
            Some("AWS")
        } else if p.starts_with("gce://") {
            Some("Google Cloud")
        } else if p.starts_with("vsphere://") {
            platform = Some(Platform::VMware);
            None
        } else {
            None
        };
        if let Some(c) = cloud {
            platform = Some(Platform::Cloud(c));
        }
        if platform.is_some() {
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
        platform = if m.contains("amazon ec2") {
            Some(Platform::Cloud("AWS"))
        } else if m.contains("google") {
            Some(Platform::Cloud("Google Cloud"))
        } else if m.contains("microsoft corporation") && m.contains("virtual machine") {
            Some(Platform::HyperV)
        } else if m.contains("vmware") {
            Some(Platform::VMware)
        } else if m.contains("qemu")
            || m.contains("kvm")
            || m.contains("red hat")
            || m.contains("openstack")
            || m.contains("nutanix")
        {
            Some(Platform::Kvm)
        } else if m.contains("xen") {
            Some(Platform::Xen)
        } else {
            None
        };
        evidence.push(Evidence::api(
            "Win32_ComputerSystem Manufacturer/Model",
            model.trim().to_string(),
        ));
    }
    if let Some(adapters) = view.raw.adapters.ready() {
        for a in adapters {
            let d = a.interface_description.to_ascii_lowercase();
            let found = if d.contains("hyper-v network adapter") {
                Some(Platform::HyperV)
            } else if d.contains("vmxnet") || d.contains("vmware") {
                Some(Platform::VMware)
            } else if d.contains("virtio") {
                Some(Platform::Kvm)
            } else if d.contains("xen")
                || d.contains("aws pv")
                || d.contains("elastic network adapter")
            {
                Some(Platform::Xen)
            } else {
                None
            };
            if let Some(p) = found {
                if platform.is_none() {
                    platform = Some(p);
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
            let fix = ev.fix("cloud", &[("cloud", cloud), ("node", &node)]);
            let f = ev.emit(
                if l2bridge.is_some() { Status::Warn } else { Status::Info },
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
