//! Service message bodies (OPC 10000-4, encoded per OPC 10000-6 5.2.9):
//! the type id of the message, the RequestHeader / ResponseHeader, and for
//! the services an analyst reads a session by, their parameters: the nodes
//! read, written, browsed, monitored or called, the session and channel
//! set-up fields, and the per-operation results.

use super::binary::{
    DataValueInfo, DecodeError, Decoded, Kept, NodeId, Reader, Scalar, VariantInfo, format_datetime,
};
use super::ids::{self, enc};
use vigil_eve::JsonWriter;

/// Operations (nodes, methods, results) kept per message; the count of
/// all of them is logged when there are more.
pub const MAX_ITEMS: usize = 32;

/// A decoded message body.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceBody {
    /// The binary encoding id of the message (an ExpandedNodeId).
    pub type_id: NodeId,
    /// Its message name when the id is a namespace-0 service message.
    pub name: Option<&'static str>,
    pub header: Option<Header>,
    pub detail: Detail,
    /// Where decoding stopped early (None: everything read decoded).
    pub error: Option<DecodeError>,
}

impl ServiceBody {
    /// The namespace-0 numeric type id.
    pub fn type_numeric(&self) -> Option<u32> {
        self.type_id.ns0_numeric()
    }
    /// The service result of a response.
    pub fn service_result(&self) -> Option<u32> {
        match &self.header {
            Some(Header::Response(h)) => Some(h.service_result),
            _ => None,
        }
    }
}

/// RequestHeader or ResponseHeader.
#[derive(Clone, Debug, PartialEq)]
pub enum Header {
    Request(RequestHeader),
    Response(ResponseHeader),
}

/// The RequestHeader of every service request.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct RequestHeader {
    /// AuthenticationToken (string form).
    pub authentication_token: Box<[u8]>,
    /// DateTime ticks.
    pub timestamp: i64,
    pub request_handle: u32,
    pub return_diagnostics: u32,
    pub audit_entry_id: Option<Kept>,
    pub timeout_hint: u32,
}

/// The ResponseHeader of every service response.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ResponseHeader {
    pub timestamp: i64,
    pub request_handle: u32,
    pub service_result: u32,
}

/// A node accessed by an operation, with its attribute.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct NodeAccess {
    /// NodeId string form (`ns=2;s=Foo`).
    pub node_id: Box<[u8]>,
    pub attribute_id: Option<u32>,
    pub index_range: Option<Kept>,
    /// WriteValue: the value written.
    pub value: Option<VariantInfo>,
    /// BrowseDescription: BrowseDirection.
    pub browse_direction: Option<u32>,
    /// BrowseDescription: ReferenceTypeId.
    pub reference_type_id: Option<Box<[u8]>>,
    /// MonitoredItemCreateRequest: MonitoringMode and SamplingInterval.
    pub monitoring_mode: Option<u32>,
    pub sampling_interval: Option<f64>,
}

/// One CallMethodRequest.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct MethodCall {
    pub object_id: Box<[u8]>,
    pub method_id: Box<[u8]>,
    pub input_arguments: usize,
}

/// One AddNodesItem.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct AddNode {
    pub parent_node_id: Box<[u8]>,
    pub requested_new_node_id: Box<[u8]>,
    pub browse_name: Option<Kept>,
    pub node_class: u32,
}

/// A list of operations: the first [`MAX_ITEMS`] and the total count.
#[derive(Clone, Debug, PartialEq)]
pub struct Items<T> {
    pub items: Vec<T>,
    pub total: usize,
}

impl<T> Default for Items<T> {
    fn default() -> Self {
        Items {
            items: Vec::new(),
            total: 0,
        }
    }
}

impl<T> Items<T> {
    fn push(&mut self, t: T) {
        self.total = self.total.saturating_add(1);
        if self.items.len() < MAX_ITEMS {
            self.items.push(t);
        }
    }
}

/// The service-specific part of a message.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Detail {
    #[default]
    None,
    OpenRequest(OpenRequest),
    OpenResponse(OpenResponse),
    CreateSessionRequest(CreateSessionRequest),
    CreateSessionResponse(CreateSessionResponse),
    ActivateSessionRequest(ActivateSessionRequest),
    /// ReadRequest.
    Read {
        max_age: f64,
        timestamps_to_return: u32,
        nodes: Items<NodeAccess>,
    },
    /// HistoryReadRequest.
    HistoryRead {
        timestamps_to_return: u32,
        nodes: Items<NodeAccess>,
    },
    /// WriteRequest.
    Write {
        nodes: Items<NodeAccess>,
    },
    /// BrowseRequest.
    Browse {
        requested_max_references_per_node: u32,
        nodes: Items<NodeAccess>,
    },
    /// CreateMonitoredItemsRequest.
    CreateMonitoredItems {
        subscription_id: u32,
        timestamps_to_return: u32,
        items: Items<NodeAccess>,
    },
    /// CallRequest.
    Call {
        methods: Items<MethodCall>,
    },
    /// RegisterNodes / UnregisterNodes / DeleteNodes requests.
    NodeList {
        key: &'static str,
        nodes: Items<NodeAccess>,
    },
    /// AddNodesRequest.
    AddNodes(Items<AddNode>),
    /// GetEndpoints / FindServers requests.
    EndpointUrl(Option<Kept>),
    /// CloseSessionRequest.
    CloseSession {
        delete_subscriptions: bool,
    },
    CreateSubscriptionRequest(SubscriptionParams),
    CreateSubscriptionResponse(SubscriptionParams),
    /// PublishResponse.
    Publish {
        subscription_id: u32,
    },
    /// GetEndpointsResponse: the endpoints offered.
    Endpoints(Items<Endpoint>),
    /// Read / Write / Call / Browse responses: the operation results.
    Results(Items<u32>),
}

/// OpenSecureChannelRequest parameters.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct OpenRequest {
    pub client_protocol_version: u32,
    pub request_type: u32,
    pub security_mode: u32,
    pub client_nonce_length: Option<usize>,
    pub requested_lifetime: u32,
}

/// OpenSecureChannelResponse parameters.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct OpenResponse {
    pub server_protocol_version: u32,
    pub channel_id: u32,
    pub token_id: u32,
    pub created_at: i64,
    pub revised_lifetime: u32,
    pub server_nonce_length: Option<usize>,
}

/// CreateSessionRequest parameters.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct CreateSessionRequest {
    pub application_uri: Option<Kept>,
    pub product_uri: Option<Kept>,
    pub application_name: Option<Kept>,
    pub application_type: Option<u32>,
    pub server_uri: Option<Kept>,
    pub endpoint_url: Option<Kept>,
    pub session_name: Option<Kept>,
    pub client_certificate_length: Option<usize>,
    pub requested_session_timeout: Option<f64>,
    pub max_response_message_size: Option<u32>,
}

/// CreateSessionResponse parameters.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct CreateSessionResponse {
    pub session_id: Box<[u8]>,
    pub authentication_token: Box<[u8]>,
    pub revised_session_timeout: Option<f64>,
}

/// ActivateSessionRequest: the user identity token.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ActivateSessionRequest {
    /// The token's type id (binary encoding id).
    pub token_type_id: Option<u32>,
    pub policy_id: Option<Kept>,
    /// UserNameIdentityToken UserName.
    pub user_name: Option<Kept>,
    /// UserNameIdentityToken / IssuedIdentityToken EncryptionAlgorithm
    /// (null: the secret is not encrypted at the token level).
    pub encryption_algorithm: Option<Kept>,
    /// The token has been decoded (the fields above are meaningful).
    pub token_present: bool,
}

/// CreateSubscription request (requested) or response (revised) values.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct SubscriptionParams {
    pub subscription_id: Option<u32>,
    pub publishing_interval: f64,
    pub lifetime_count: u32,
    pub max_keep_alive_count: u32,
    pub max_notifications_per_publish: Option<u32>,
    pub publishing_enabled: Option<bool>,
    pub priority: Option<u8>,
}

/// An EndpointDescription of a GetEndpointsResponse.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Endpoint {
    pub endpoint_url: Option<Kept>,
    pub security_mode: u32,
    pub security_policy_uri: Option<Kept>,
}

/// Decodes a message body: its type id, header and known parameters.
/// `None` when not even the type id decodes.
pub fn decode(body: &[u8]) -> Option<ServiceBody> {
    let mut r = Reader::new(body);
    let type_id = r.node_id(true).ok()?;
    let id = type_id.ns0_numeric();
    let name = id.and_then(ids::service_name);
    let mut sb = ServiceBody {
        type_id,
        name,
        header: None,
        detail: Detail::None,
        error: None,
    };
    let (Some(id), Some(name)) = (id, name) else {
        return Some(sb);
    };
    let header = if ids::is_request(name) {
        request_header(&mut r).map(Header::Request)
    } else {
        response_header(&mut r).map(Header::Response)
    };
    match header {
        Ok(h) => sb.header = Some(h),
        Err(e) => {
            sb.error = Some(e);
            return Some(sb);
        }
    }
    let (detail, res) = decode_detail(id, &mut r);
    sb.detail = detail;
    sb.error = res.err();
    Some(sb)
}

fn request_header(r: &mut Reader<'_>) -> Decoded<RequestHeader> {
    let authentication_token = r.node_id(false)?.to_bytes().into_boxed_slice();
    let timestamp = r.i64()?;
    let request_handle = r.u32()?;
    let return_diagnostics = r.u32()?;
    let audit_entry_id = r.bytes()?.map(Kept::new);
    let timeout_hint = r.u32()?;
    r.extension_object()?;
    Ok(RequestHeader {
        authentication_token,
        timestamp,
        request_handle,
        return_diagnostics,
        audit_entry_id,
        timeout_hint,
    })
}

fn response_header(r: &mut Reader<'_>) -> Decoded<ResponseHeader> {
    let timestamp = r.i64()?;
    let request_handle = r.u32()?;
    let service_result = r.u32()?;
    r.skip_diagnostic_info(0)?;
    r.skip_string_array()?;
    r.extension_object()?;
    Ok(ResponseHeader {
        timestamp,
        request_handle,
        service_result,
    })
}

fn node_str(r: &mut Reader<'_>, expanded: bool) -> Decoded<Box<[u8]>> {
    Ok(r.node_id(expanded)?.to_bytes().into_boxed_slice())
}

/// Runs `f` on a default value and returns it with the outcome, so that
/// what decoded before an error is kept.
fn partial<T: Default>(f: impl FnOnce(&mut T) -> Decoded<()>) -> (T, Decoded<()>) {
    let mut t = T::default();
    let res = f(&mut t);
    (t, res)
}

fn decode_detail(id: u32, r: &mut Reader<'_>) -> (Detail, Decoded<()>) {
    match id {
        enc::OPEN_SECURE_CHANNEL_REQUEST => {
            let (d, res) = partial(|d: &mut OpenRequest| {
                d.client_protocol_version = r.u32()?;
                d.request_type = r.u32()?;
                d.security_mode = r.u32()?;
                d.client_nonce_length = r.bytes()?.map(<[u8]>::len);
                d.requested_lifetime = r.u32()?;
                Ok(())
            });
            (Detail::OpenRequest(d), res)
        }
        enc::OPEN_SECURE_CHANNEL_RESPONSE => {
            let (d, res) = partial(|d: &mut OpenResponse| {
                d.server_protocol_version = r.u32()?;
                d.channel_id = r.u32()?;
                d.token_id = r.u32()?;
                d.created_at = r.i64()?;
                d.revised_lifetime = r.u32()?;
                d.server_nonce_length = r.bytes()?.map(<[u8]>::len);
                Ok(())
            });
            (Detail::OpenResponse(d), res)
        }
        enc::CREATE_SESSION_REQUEST => {
            let (d, res) = partial(|d: &mut CreateSessionRequest| {
                d.application_uri = r.bytes()?.map(Kept::new);
                d.product_uri = r.bytes()?.map(Kept::new);
                d.application_name = r.localized_text()?;
                d.application_type = Some(r.u32()?);
                r.bytes()?; // GatewayServerUri
                r.bytes()?; // DiscoveryProfileUri
                r.skip_string_array()?; // DiscoveryUrls
                d.server_uri = r.bytes()?.map(Kept::new);
                d.endpoint_url = r.bytes()?.map(Kept::new);
                d.session_name = r.bytes()?.map(Kept::new);
                r.bytes()?; // ClientNonce
                d.client_certificate_length = r.bytes()?.map(<[u8]>::len);
                d.requested_session_timeout = Some(r.f64()?);
                d.max_response_message_size = Some(r.u32()?);
                Ok(())
            });
            (Detail::CreateSessionRequest(d), res)
        }
        enc::CREATE_SESSION_RESPONSE => {
            let (d, res) = partial(|d: &mut CreateSessionResponse| {
                d.session_id = node_str(r, false)?;
                d.authentication_token = node_str(r, false)?;
                d.revised_session_timeout = Some(r.f64()?);
                Ok(())
            });
            (Detail::CreateSessionResponse(d), res)
        }
        enc::ACTIVATE_SESSION_REQUEST => {
            let (d, res) = partial(|d: &mut ActivateSessionRequest| {
                // ClientSignature (SignatureData).
                r.bytes()?;
                r.bytes()?;
                // ClientSoftwareCertificates (SignedSoftwareCertificate[]).
                let n = r.array_len(8)?;
                for _ in 0..n {
                    r.bytes()?;
                    r.bytes()?;
                }
                r.skip_string_array()?; // LocaleIds
                let (type_id, body) = r.extension_object()?;
                d.token_type_id = type_id.ns0_numeric();
                d.token_present = true;
                if let Some(body) = body {
                    let mut t = Reader::new(body);
                    d.policy_id = t.bytes()?.map(Kept::new);
                    match d.token_type_id {
                        Some(enc::USER_NAME_IDENTITY_TOKEN) => {
                            d.user_name = t.bytes()?.map(Kept::new);
                            t.bytes()?; // Password
                            d.encryption_algorithm = t.bytes()?.map(Kept::new);
                        }
                        Some(enc::ISSUED_IDENTITY_TOKEN) => {
                            t.bytes()?; // TokenData
                            d.encryption_algorithm = t.bytes()?.map(Kept::new);
                        }
                        _ => {}
                    }
                }
                Ok(())
            });
            (Detail::ActivateSessionRequest(d), res)
        }
        enc::READ_REQUEST => {
            let mut max_age = 0.0;
            let mut ttr = 0;
            let (nodes, res) = partial(|nodes: &mut Items<NodeAccess>| {
                max_age = r.f64()?;
                ttr = r.u32()?;
                let n = r.array_len(13)?;
                for _ in 0..n {
                    nodes.push(read_value_id(r)?);
                }
                Ok(())
            });
            (
                Detail::Read {
                    max_age,
                    timestamps_to_return: ttr,
                    nodes,
                },
                res,
            )
        }
        enc::HISTORY_READ_REQUEST => {
            let mut ttr = 0;
            let (nodes, res) = partial(|nodes: &mut Items<NodeAccess>| {
                r.extension_object()?; // HistoryReadDetails
                ttr = r.u32()?;
                r.boolean()?; // ReleaseContinuationPoints
                let n = r.array_len(14)?;
                for _ in 0..n {
                    let node_id = node_str(r, false)?;
                    let index_range = r.bytes()?.map(Kept::new);
                    r.qualified_name()?;
                    r.bytes()?; // ContinuationPoint
                    nodes.push(NodeAccess {
                        node_id,
                        index_range,
                        ..NodeAccess::default()
                    });
                }
                Ok(())
            });
            (
                Detail::HistoryRead {
                    timestamps_to_return: ttr,
                    nodes,
                },
                res,
            )
        }
        enc::WRITE_REQUEST => {
            let (nodes, res) = partial(|nodes: &mut Items<NodeAccess>| {
                let n = r.array_len(11)?;
                for _ in 0..n {
                    let node_id = node_str(r, false)?;
                    let attribute_id = Some(r.u32()?);
                    let index_range = r.bytes()?.map(Kept::new);
                    let DataValueInfo { value, .. } = r.data_value(0)?;
                    nodes.push(NodeAccess {
                        node_id,
                        attribute_id,
                        index_range,
                        value,
                        ..NodeAccess::default()
                    });
                }
                Ok(())
            });
            (Detail::Write { nodes }, res)
        }
        enc::BROWSE_REQUEST => {
            let mut max_refs = 0;
            let (nodes, res) = partial(|nodes: &mut Items<NodeAccess>| {
                // View (ViewDescription).
                r.node_id(false)?;
                r.i64()?;
                r.u32()?;
                max_refs = r.u32()?;
                let n = r.array_len(17)?;
                for _ in 0..n {
                    let node_id = node_str(r, false)?;
                    let browse_direction = Some(r.u32()?);
                    let reference_type_id = Some(node_str(r, false)?);
                    r.boolean()?; // IncludeSubtypes
                    r.u32()?; // NodeClassMask
                    r.u32()?; // ResultMask
                    nodes.push(NodeAccess {
                        node_id,
                        browse_direction,
                        reference_type_id,
                        ..NodeAccess::default()
                    });
                }
                Ok(())
            });
            (
                Detail::Browse {
                    requested_max_references_per_node: max_refs,
                    nodes,
                },
                res,
            )
        }
        enc::CREATE_MONITORED_ITEMS_REQUEST => {
            let mut sub = 0;
            let mut ttr = 0;
            let (items, res) = partial(|items: &mut Items<NodeAccess>| {
                sub = r.u32()?;
                ttr = r.u32()?;
                let n = r.array_len(13)?;
                for _ in 0..n {
                    let mut a = read_value_id(r)?;
                    a.monitoring_mode = Some(r.u32()?);
                    // MonitoringParameters.
                    r.u32()?; // ClientHandle
                    a.sampling_interval = Some(r.f64()?);
                    r.extension_object()?; // Filter
                    r.u32()?; // QueueSize
                    r.boolean()?; // DiscardOldest
                    items.push(a);
                }
                Ok(())
            });
            (
                Detail::CreateMonitoredItems {
                    subscription_id: sub,
                    timestamps_to_return: ttr,
                    items,
                },
                res,
            )
        }
        enc::CALL_REQUEST => {
            let (methods, res) = partial(|methods: &mut Items<MethodCall>| {
                let n = r.array_len(8)?;
                for _ in 0..n {
                    let object_id = node_str(r, false)?;
                    let method_id = node_str(r, false)?;
                    let input_arguments = r.skip_variants()?;
                    methods.push(MethodCall {
                        object_id,
                        method_id,
                        input_arguments,
                    });
                }
                Ok(())
            });
            (Detail::Call { methods }, res)
        }
        enc::REGISTER_NODES_REQUEST | enc::UNREGISTER_NODES_REQUEST | enc::DELETE_NODES_REQUEST => {
            let key = match id {
                enc::REGISTER_NODES_REQUEST => "nodes_to_register",
                enc::UNREGISTER_NODES_REQUEST => "nodes_to_unregister",
                _ => "nodes_to_delete",
            };
            let (nodes, res) = partial(|nodes: &mut Items<NodeAccess>| {
                let n = r.array_len(2)?;
                for _ in 0..n {
                    let node_id = node_str(r, false)?;
                    if id == enc::DELETE_NODES_REQUEST {
                        r.boolean()?; // DeleteTargetReferences
                    }
                    nodes.push(NodeAccess {
                        node_id,
                        ..NodeAccess::default()
                    });
                }
                Ok(())
            });
            (Detail::NodeList { key, nodes }, res)
        }
        enc::ADD_NODES_REQUEST => {
            let (nodes, res) = partial(|nodes: &mut Items<AddNode>| {
                let n = r.array_len(24)?;
                for _ in 0..n {
                    let parent_node_id = node_str(r, true)?;
                    r.node_id(false)?; // ReferenceTypeId
                    let requested_new_node_id = node_str(r, true)?;
                    let (_, browse_name) = r.qualified_name()?;
                    let node_class = r.u32()?;
                    r.extension_object()?; // NodeAttributes
                    r.node_id(true)?; // TypeDefinition
                    nodes.push(AddNode {
                        parent_node_id,
                        requested_new_node_id,
                        browse_name,
                        node_class,
                    });
                }
                Ok(())
            });
            (Detail::AddNodes(nodes), res)
        }
        enc::GET_ENDPOINTS_REQUEST | enc::FIND_SERVERS_REQUEST => match r.bytes() {
            Ok(url) => (Detail::EndpointUrl(url.map(Kept::new)), Ok(())),
            Err(e) => (Detail::None, Err(e)),
        },
        enc::CLOSE_SESSION_REQUEST => match r.boolean() {
            Ok(b) => (
                Detail::CloseSession {
                    delete_subscriptions: b,
                },
                Ok(()),
            ),
            Err(e) => (Detail::None, Err(e)),
        },
        enc::CREATE_SUBSCRIPTION_REQUEST => {
            let (d, res) = partial(|d: &mut SubscriptionParams| {
                d.publishing_interval = r.f64()?;
                d.lifetime_count = r.u32()?;
                d.max_keep_alive_count = r.u32()?;
                d.max_notifications_per_publish = Some(r.u32()?);
                d.publishing_enabled = Some(r.boolean()?);
                d.priority = Some(r.u8()?);
                Ok(())
            });
            (Detail::CreateSubscriptionRequest(d), res)
        }
        enc::CREATE_SUBSCRIPTION_RESPONSE => {
            let (d, res) = partial(|d: &mut SubscriptionParams| {
                d.subscription_id = Some(r.u32()?);
                d.publishing_interval = r.f64()?;
                d.lifetime_count = r.u32()?;
                d.max_keep_alive_count = r.u32()?;
                Ok(())
            });
            (Detail::CreateSubscriptionResponse(d), res)
        }
        enc::PUBLISH_RESPONSE => match r.u32() {
            Ok(s) => (Detail::Publish { subscription_id: s }, Ok(())),
            Err(e) => (Detail::None, Err(e)),
        },
        enc::GET_ENDPOINTS_RESPONSE => {
            let (eps, res) = partial(|eps: &mut Items<Endpoint>| {
                let n = r.array_len(30)?;
                for _ in 0..n {
                    eps.push(endpoint_description(r)?);
                }
                Ok(())
            });
            (Detail::Endpoints(eps), res)
        }
        enc::READ_RESPONSE | enc::WRITE_RESPONSE | enc::CALL_RESPONSE | enc::BROWSE_RESPONSE => {
            let (results, res) = partial(|results: &mut Items<u32>| {
                let n = r.array_len(1)?;
                for _ in 0..n {
                    let status = match id {
                        enc::READ_RESPONSE => r.data_value(0)?.status.unwrap_or(0),
                        enc::WRITE_RESPONSE => r.u32()?,
                        enc::CALL_RESPONSE => {
                            let s = r.u32()?;
                            let k = r.array_len(4)?;
                            r.skip(k.saturating_mul(4))?;
                            r.skip_diagnostic_infos()?;
                            r.skip_variants()?;
                            s
                        }
                        _ => {
                            let s = r.u32()?;
                            r.bytes()?; // ContinuationPoint
                            let k = r.array_len(14)?;
                            for _ in 0..k {
                                reference_description(r)?;
                            }
                            s
                        }
                    };
                    results.push(status);
                }
                Ok(())
            });
            (Detail::Results(results), res)
        }
        _ => (Detail::None, Ok(())),
    }
}

fn read_value_id(r: &mut Reader<'_>) -> Decoded<NodeAccess> {
    let node_id = node_str(r, false)?;
    let attribute_id = Some(r.u32()?);
    let index_range = r.bytes()?.map(Kept::new);
    r.qualified_name()?; // DataEncoding
    Ok(NodeAccess {
        node_id,
        attribute_id,
        index_range,
        ..NodeAccess::default()
    })
}

fn reference_description(r: &mut Reader<'_>) -> Decoded<()> {
    r.node_id(false)?; // ReferenceTypeId
    r.boolean()?; // IsForward
    r.node_id(true)?; // NodeId
    r.qualified_name()?; // BrowseName
    r.skip_localized_text()?; // DisplayName
    r.u32()?; // NodeClass
    r.node_id(true)?; // TypeDefinition
    Ok(())
}

fn endpoint_description(r: &mut Reader<'_>) -> Decoded<Endpoint> {
    let endpoint_url = r.bytes()?.map(Kept::new);
    // Server (ApplicationDescription).
    r.bytes()?;
    r.bytes()?;
    r.skip_localized_text()?;
    r.u32()?;
    r.bytes()?;
    r.bytes()?;
    r.skip_string_array()?;
    r.bytes()?; // ServerCertificate
    let security_mode = r.u32()?;
    let security_policy_uri = r.bytes()?.map(Kept::new);
    // UserIdentityTokens (UserTokenPolicy[]).
    let n = r.array_len(20)?;
    for _ in 0..n {
        r.bytes()?;
        r.u32()?;
        r.bytes()?;
        r.bytes()?;
        r.bytes()?;
    }
    r.bytes()?; // TransportProfileUri
    r.u8()?; // SecurityLevel
    Ok(Endpoint {
        endpoint_url,
        security_mode,
        security_policy_uri,
    })
}

/// A status code as its name, or `0x%08X` when it has none.
pub fn write_status(w: &mut JsonWriter<'_>, key: &str, code: u32) {
    match ids::status_name(code) {
        Some(n) => w.string(key, n),
        None => w.string(key, &format!("0x{code:08X}")),
    }
}

fn write_kept(w: &mut JsonWriter<'_>, key: &str, v: &Option<Kept>) {
    if let Some(k) = v {
        w.bytes_as_string(key, &k.bytes);
    }
}

fn write_time(w: &mut JsonWriter<'_>, key: &str, ticks: i64) {
    if let Some(t) = format_datetime(ticks) {
        w.string(key, &t);
    }
}

fn write_enum(w: &mut JsonWriter<'_>, key: &str, v: u32, name: fn(u32) -> Option<&'static str>) {
    match name(v) {
        Some(n) => w.string(key, n),
        None => w.uint(key, u64::from(v)),
    }
}

fn write_value(w: &mut JsonWriter<'_>, v: &VariantInfo) {
    if let Some(n) = ids::builtin_type_name(v.type_id) {
        w.string("value_type", n);
    } else {
        w.string("value_type", "Null");
    }
    if let Some(n) = v.array_length {
        w.uint("array_length", n as u64);
    }
    match &v.value {
        Some(Scalar::Bool(b)) => w.boolean("value", *b),
        Some(Scalar::Int(i)) => w.int("value", *i),
        Some(Scalar::UInt(u)) => w.uint("value", *u),
        Some(Scalar::Float(f)) if f.is_finite() => w.float("value", *f),
        Some(Scalar::Float(_)) => w.null("value"),
        Some(Scalar::Text(t)) => w.bytes_as_string("value", &t.bytes),
        Some(Scalar::DateTime(t)) => {
            if let Some(s) = format_datetime(*t) {
                w.string("value", &s);
            }
        }
        Some(Scalar::Status(s)) => write_status(w, "value", *s),
        Some(Scalar::NodeId(n)) => w.bytes_as_string("value", &n.to_bytes()),
        None => {}
    }
}

fn write_nodes(w: &mut JsonWriter<'_>, key: &str, nodes: &Items<NodeAccess>) {
    w.open_array_key(key);
    for n in &nodes.items {
        w.open_object();
        w.bytes_as_string("node_id", &n.node_id);
        if let Some(a) = n.attribute_id {
            w.uint("attribute_id", u64::from(a));
            if let Some(name) = ids::attribute_name(a) {
                w.string("attribute", name);
            }
        }
        write_kept(w, "index_range", &n.index_range);
        if let Some(d) = n.browse_direction {
            write_enum(w, "browse_direction", d, ids::browse_direction_name);
        }
        if let Some(rt) = &n.reference_type_id {
            w.bytes_as_string("reference_type_id", rt);
        }
        if let Some(m) = n.monitoring_mode {
            write_enum(w, "monitoring_mode", m, ids::monitoring_mode_name);
        }
        if let Some(s) = n.sampling_interval {
            w.float("sampling_interval", s);
        }
        if let Some(v) = &n.value {
            write_value(w, v);
        }
        w.close_object();
    }
    w.close_array();
    write_total(w, key, nodes.total, nodes.items.len());
}

/// `<key>_count` when more operations came than are logged.
fn write_total(w: &mut JsonWriter<'_>, key: &str, total: usize, logged: usize) {
    if total > logged {
        w.uint(&format!("{key}_count"), total as u64);
    }
}

impl ServiceBody {
    /// Writes the header and parameters into the open message object.
    pub fn write_eve(&self, w: &mut JsonWriter<'_>) {
        match &self.header {
            Some(Header::Request(h)) => {
                w.bytes_as_string("authentication_token", &h.authentication_token);
                write_time(w, "timestamp", h.timestamp);
                w.uint("request_handle", u64::from(h.request_handle));
                w.uint("return_diagnostics", u64::from(h.return_diagnostics));
                write_kept(w, "audit_entry_id", &h.audit_entry_id);
                w.uint("timeout_hint", u64::from(h.timeout_hint));
            }
            Some(Header::Response(h)) => {
                write_time(w, "timestamp", h.timestamp);
                w.uint("request_handle", u64::from(h.request_handle));
                w.uint("service_result", u64::from(h.service_result));
                write_status(w, "status", h.service_result);
            }
            None => {}
        }
        self.detail.write_eve(w);
    }
}

impl Detail {
    fn write_eve(&self, w: &mut JsonWriter<'_>) {
        match self {
            Detail::None => {}
            Detail::OpenRequest(d) => {
                w.uint(
                    "client_protocol_version",
                    u64::from(d.client_protocol_version),
                );
                write_enum(w, "request_type", d.request_type, ids::request_type_name);
                write_enum(w, "security_mode", d.security_mode, ids::security_mode_name);
                if let Some(n) = d.client_nonce_length {
                    w.uint("client_nonce_length", n as u64);
                }
                w.uint("requested_lifetime", u64::from(d.requested_lifetime));
            }
            Detail::OpenResponse(d) => {
                w.uint(
                    "server_protocol_version",
                    u64::from(d.server_protocol_version),
                );
                w.open_object_key("security_token");
                w.uint("channel_id", u64::from(d.channel_id));
                w.uint("token_id", u64::from(d.token_id));
                write_time(w, "created_at", d.created_at);
                w.uint("revised_lifetime", u64::from(d.revised_lifetime));
                w.close_object();
                if let Some(n) = d.server_nonce_length {
                    w.uint("server_nonce_length", n as u64);
                }
            }
            Detail::CreateSessionRequest(d) => {
                if d.application_type.is_some() || d.application_uri.is_some() {
                    w.open_object_key("client_description");
                    write_kept(w, "application_uri", &d.application_uri);
                    write_kept(w, "product_uri", &d.product_uri);
                    write_kept(w, "application_name", &d.application_name);
                    if let Some(t) = d.application_type {
                        write_enum(w, "application_type", t, ids::application_type_name);
                    }
                    w.close_object();
                }
                write_kept(w, "server_uri", &d.server_uri);
                write_kept(w, "endpoint_url", &d.endpoint_url);
                write_kept(w, "session_name", &d.session_name);
                if let Some(n) = d.client_certificate_length {
                    w.uint("client_certificate_length", n as u64);
                }
                if let Some(t) = d.requested_session_timeout {
                    w.float("requested_session_timeout", t);
                }
                if let Some(m) = d.max_response_message_size {
                    w.uint("max_response_message_size", u64::from(m));
                }
            }
            Detail::CreateSessionResponse(d) => {
                if !d.session_id.is_empty() {
                    w.bytes_as_string("session_id", &d.session_id);
                }
                if !d.authentication_token.is_empty() {
                    w.bytes_as_string("authentication_token", &d.authentication_token);
                }
                if let Some(t) = d.revised_session_timeout {
                    w.float("revised_session_timeout", t);
                }
            }
            Detail::ActivateSessionRequest(d) => {
                if d.token_present {
                    w.open_object_key("user_identity_token");
                    match d.token_type_id {
                        Some(id) => match ids::identity_token_name(id) {
                            Some(n) => w.string("type", n),
                            None => w.uint("type_id", u64::from(id)),
                        },
                        None => w.string("type", "none"),
                    }
                    write_kept(w, "policy_id", &d.policy_id);
                    write_kept(w, "user_name", &d.user_name);
                    write_kept(w, "encryption_algorithm", &d.encryption_algorithm);
                    w.close_object();
                }
            }
            Detail::Read {
                max_age,
                timestamps_to_return,
                nodes,
            } => {
                w.float("max_age", *max_age);
                write_enum(
                    w,
                    "timestamps_to_return",
                    *timestamps_to_return,
                    ids::timestamps_to_return_name,
                );
                write_nodes(w, "nodes_to_read", nodes);
            }
            Detail::HistoryRead {
                timestamps_to_return,
                nodes,
            } => {
                write_enum(
                    w,
                    "timestamps_to_return",
                    *timestamps_to_return,
                    ids::timestamps_to_return_name,
                );
                write_nodes(w, "nodes_to_read", nodes);
            }
            Detail::Write { nodes } => write_nodes(w, "nodes_to_write", nodes),
            Detail::Browse {
                requested_max_references_per_node,
                nodes,
            } => {
                w.uint(
                    "requested_max_references_per_node",
                    u64::from(*requested_max_references_per_node),
                );
                write_nodes(w, "nodes_to_browse", nodes);
            }
            Detail::CreateMonitoredItems {
                subscription_id,
                timestamps_to_return,
                items,
            } => {
                w.uint("subscription_id", u64::from(*subscription_id));
                write_enum(
                    w,
                    "timestamps_to_return",
                    *timestamps_to_return,
                    ids::timestamps_to_return_name,
                );
                write_nodes(w, "items_to_create", items);
            }
            Detail::Call { methods } => {
                w.open_array_key("methods_to_call");
                for m in &methods.items {
                    w.open_object();
                    w.bytes_as_string("object_id", &m.object_id);
                    w.bytes_as_string("method_id", &m.method_id);
                    w.uint("input_arguments", m.input_arguments as u64);
                    w.close_object();
                }
                w.close_array();
                write_total(w, "methods_to_call", methods.total, methods.items.len());
            }
            Detail::NodeList { key, nodes } => {
                w.open_array_key(key);
                for n in &nodes.items {
                    w.array_string(&String::from_utf8_lossy(&n.node_id));
                }
                w.close_array();
                write_total(w, key, nodes.total, nodes.items.len());
            }
            Detail::AddNodes(nodes) => {
                w.open_array_key("nodes_to_add");
                for n in &nodes.items {
                    w.open_object();
                    w.bytes_as_string("parent_node_id", &n.parent_node_id);
                    w.bytes_as_string("requested_new_node_id", &n.requested_new_node_id);
                    write_kept(w, "browse_name", &n.browse_name);
                    write_enum(w, "node_class", n.node_class, ids::node_class_name);
                    w.close_object();
                }
                w.close_array();
                write_total(w, "nodes_to_add", nodes.total, nodes.items.len());
            }
            Detail::EndpointUrl(u) => write_kept(w, "endpoint_url", u),
            Detail::CloseSession {
                delete_subscriptions,
            } => w.boolean("delete_subscriptions", *delete_subscriptions),
            Detail::CreateSubscriptionRequest(d) => {
                w.float("requested_publishing_interval", d.publishing_interval);
                w.uint("requested_lifetime_count", u64::from(d.lifetime_count));
                w.uint(
                    "requested_max_keep_alive_count",
                    u64::from(d.max_keep_alive_count),
                );
                if let Some(m) = d.max_notifications_per_publish {
                    w.uint("max_notifications_per_publish", u64::from(m));
                }
                if let Some(p) = d.publishing_enabled {
                    w.boolean("publishing_enabled", p);
                }
                if let Some(p) = d.priority {
                    w.uint("priority", u64::from(p));
                }
            }
            Detail::CreateSubscriptionResponse(d) => {
                if let Some(s) = d.subscription_id {
                    w.uint("subscription_id", u64::from(s));
                    w.float("revised_publishing_interval", d.publishing_interval);
                    w.uint("revised_lifetime_count", u64::from(d.lifetime_count));
                    w.uint(
                        "revised_max_keep_alive_count",
                        u64::from(d.max_keep_alive_count),
                    );
                }
            }
            Detail::Publish { subscription_id } => {
                w.uint("subscription_id", u64::from(*subscription_id));
            }
            Detail::Endpoints(eps) => {
                w.open_array_key("endpoints");
                for e in &eps.items {
                    w.open_object();
                    write_kept(w, "endpoint_url", &e.endpoint_url);
                    write_enum(w, "security_mode", e.security_mode, ids::security_mode_name);
                    write_kept(w, "security_policy_uri", &e.security_policy_uri);
                    w.close_object();
                }
                w.close_array();
                write_total(w, "endpoints", eps.total, eps.items.len());
            }
            Detail::Results(results) => {
                w.open_array_key("results");
                for &code in &results.items {
                    match ids::status_name(code) {
                        Some(n) => w.array_string(n),
                        None => w.array_string(&format!("0x{code:08X}")),
                    }
                }
                w.close_array();
                write_total(w, "results", results.total, results.items.len());
            }
        }
    }

    /// Calls `f` with every node id the operation accesses (in order).
    pub fn accessed_nodes<'a>(&'a self, f: &mut dyn FnMut(&'a [u8])) {
        match self {
            Detail::Read { nodes, .. }
            | Detail::HistoryRead { nodes, .. }
            | Detail::Write { nodes }
            | Detail::Browse { nodes, .. }
            | Detail::NodeList { nodes, .. }
            | Detail::CreateMonitoredItems { items: nodes, .. } => {
                nodes.items.iter().for_each(|n| f(&n.node_id))
            }
            Detail::Call { methods } => methods.items.iter().for_each(|m| {
                f(&m.object_id);
                f(&m.method_id);
            }),
            Detail::AddNodes(nodes) => nodes.items.iter().for_each(|n| f(&n.parent_node_id)),
            _ => {}
        }
    }

    /// Calls `f` with the attribute id of every operation that names one.
    pub fn attribute_ids(&self, f: &mut dyn FnMut(u64)) {
        if let Detail::Read { nodes, .. }
        | Detail::Write { nodes }
        | Detail::CreateMonitoredItems { items: nodes, .. } = self
        {
            nodes
                .items
                .iter()
                .filter_map(|n| n.attribute_id)
                .for_each(|a| f(u64::from(a)));
        }
    }
}
