//! `Eval` accessors for the node inputs. Each gives the part when it is ready; otherwise `need`
//! records one `skip` (node data not captured, or a part the capture could not collect) or `error`
//! (a part that could not be read or parsed) for the input `node`, and gives `None`. Checks that
//! read any of these declare `node` in their `inputs`.

use super::Eval;
use crate::facts::node::{
    HnsNetwork, IpAddress, NetAdapter, NodeFiles, NodeInfo, NodeLog, Process, WinService,
};
use std::collections::BTreeMap;

impl<'a> Eval<'a> {
    /// The node files (ready whenever the bundle has a node part).
    pub fn node_files(&mut self) -> Option<&'a NodeFiles> {
        self.need("node", &self.facts.node.files)
    }
    pub fn node_processes(&mut self) -> Option<&'a Vec<Process>> {
        self.need("node", &self.facts.node.processes)
    }
    pub fn node_services(&mut self) -> Option<&'a Vec<WinService>> {
        self.need("node", &self.facts.node.services)
    }
    pub fn node_hns_networks(&mut self) -> Option<&'a Vec<HnsNetwork>> {
        self.need("node", &self.facts.node.hns_networks)
    }
    pub fn node_adapters(&mut self) -> Option<&'a Vec<NetAdapter>> {
        self.need("node", &self.facts.node.adapters)
    }
    pub fn node_ip_addresses(&mut self) -> Option<&'a Vec<IpAddress>> {
        self.need("node", &self.facts.node.ip_addresses)
    }
    pub fn node_env(&mut self) -> Option<&'a BTreeMap<String, String>> {
        self.need("node", &self.facts.node.env)
    }
    pub fn node_logs(&mut self) -> Option<&'a Vec<NodeLog>> {
        self.need("node", &self.facts.node.logs)
    }
    pub fn node_info(&mut self) -> Option<&'a NodeInfo> {
        self.need("node", &self.facts.node.info)
    }
}
