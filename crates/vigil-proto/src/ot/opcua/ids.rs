//! Well-known identifiers of namespace 0 (OPC 10000-6 Annex A, the
//! OPC Foundation's `NodeIds.csv` and `StatusCode.csv`): the binary
//! encoding ids of the service messages, status codes, attribute ids and
//! the enumerations the parser names.

/// `(binary encoding id, message name)` of every service request and
/// response of OPC 10000-4, sorted by id.
pub const SERVICES: &[(u32, &str)] = &[
    (397, "ServiceFault"),
    (422, "FindServersRequest"),
    (425, "FindServersResponse"),
    (428, "GetEndpointsRequest"),
    (431, "GetEndpointsResponse"),
    (437, "RegisterServerRequest"),
    (440, "RegisterServerResponse"),
    (446, "OpenSecureChannelRequest"),
    (449, "OpenSecureChannelResponse"),
    (452, "CloseSecureChannelRequest"),
    (455, "CloseSecureChannelResponse"),
    (461, "CreateSessionRequest"),
    (464, "CreateSessionResponse"),
    (467, "ActivateSessionRequest"),
    (470, "ActivateSessionResponse"),
    (473, "CloseSessionRequest"),
    (476, "CloseSessionResponse"),
    (479, "CancelRequest"),
    (482, "CancelResponse"),
    (488, "AddNodesRequest"),
    (491, "AddNodesResponse"),
    (494, "AddReferencesRequest"),
    (497, "AddReferencesResponse"),
    (500, "DeleteNodesRequest"),
    (503, "DeleteNodesResponse"),
    (506, "DeleteReferencesRequest"),
    (509, "DeleteReferencesResponse"),
    (527, "BrowseRequest"),
    (530, "BrowseResponse"),
    (533, "BrowseNextRequest"),
    (536, "BrowseNextResponse"),
    (554, "TranslateBrowsePathsToNodeIdsRequest"),
    (557, "TranslateBrowsePathsToNodeIdsResponse"),
    (560, "RegisterNodesRequest"),
    (563, "RegisterNodesResponse"),
    (566, "UnregisterNodesRequest"),
    (569, "UnregisterNodesResponse"),
    (615, "QueryFirstRequest"),
    (618, "QueryFirstResponse"),
    (621, "QueryNextRequest"),
    (624, "QueryNextResponse"),
    (631, "ReadRequest"),
    (634, "ReadResponse"),
    (664, "HistoryReadRequest"),
    (667, "HistoryReadResponse"),
    (673, "WriteRequest"),
    (676, "WriteResponse"),
    (700, "HistoryUpdateRequest"),
    (703, "HistoryUpdateResponse"),
    (712, "CallRequest"),
    (715, "CallResponse"),
    (751, "CreateMonitoredItemsRequest"),
    (754, "CreateMonitoredItemsResponse"),
    (763, "ModifyMonitoredItemsRequest"),
    (766, "ModifyMonitoredItemsResponse"),
    (769, "SetMonitoringModeRequest"),
    (772, "SetMonitoringModeResponse"),
    (775, "SetTriggeringRequest"),
    (778, "SetTriggeringResponse"),
    (781, "DeleteMonitoredItemsRequest"),
    (784, "DeleteMonitoredItemsResponse"),
    (787, "CreateSubscriptionRequest"),
    (790, "CreateSubscriptionResponse"),
    (793, "ModifySubscriptionRequest"),
    (796, "ModifySubscriptionResponse"),
    (799, "SetPublishingModeRequest"),
    (802, "SetPublishingModeResponse"),
    (826, "PublishRequest"),
    (829, "PublishResponse"),
    (832, "RepublishRequest"),
    (835, "RepublishResponse"),
    (841, "TransferSubscriptionsRequest"),
    (844, "TransferSubscriptionsResponse"),
    (847, "DeleteSubscriptionsRequest"),
    (850, "DeleteSubscriptionsResponse"),
    (12208, "FindServersOnNetworkRequest"),
    (12209, "FindServersOnNetworkResponse"),
    (12211, "RegisterServer2Request"),
    (12212, "RegisterServer2Response"),
    (15903, "SessionlessInvokeRequestType"),
    (21001, "SessionlessInvokeResponseType"),
];

/// Binary encoding ids of the messages the parser decodes beyond the header.
pub mod enc {
    pub const FIND_SERVERS_REQUEST: u32 = 422;
    pub const GET_ENDPOINTS_REQUEST: u32 = 428;
    pub const GET_ENDPOINTS_RESPONSE: u32 = 431;
    pub const OPEN_SECURE_CHANNEL_REQUEST: u32 = 446;
    pub const OPEN_SECURE_CHANNEL_RESPONSE: u32 = 449;
    pub const CREATE_SESSION_REQUEST: u32 = 461;
    pub const CREATE_SESSION_RESPONSE: u32 = 464;
    pub const ACTIVATE_SESSION_REQUEST: u32 = 467;
    pub const CLOSE_SESSION_REQUEST: u32 = 473;
    pub const ADD_NODES_REQUEST: u32 = 488;
    pub const DELETE_NODES_REQUEST: u32 = 500;
    pub const BROWSE_REQUEST: u32 = 527;
    pub const BROWSE_RESPONSE: u32 = 530;
    pub const REGISTER_NODES_REQUEST: u32 = 560;
    pub const UNREGISTER_NODES_REQUEST: u32 = 566;
    pub const READ_REQUEST: u32 = 631;
    pub const READ_RESPONSE: u32 = 634;
    pub const HISTORY_READ_REQUEST: u32 = 664;
    pub const WRITE_REQUEST: u32 = 673;
    pub const WRITE_RESPONSE: u32 = 676;
    pub const CALL_REQUEST: u32 = 712;
    pub const CALL_RESPONSE: u32 = 715;
    pub const CREATE_MONITORED_ITEMS_REQUEST: u32 = 751;
    pub const CREATE_SUBSCRIPTION_REQUEST: u32 = 787;
    pub const CREATE_SUBSCRIPTION_RESPONSE: u32 = 790;
    pub const PUBLISH_RESPONSE: u32 = 829;
    pub const ANONYMOUS_IDENTITY_TOKEN: u32 = 321;
    pub const USER_NAME_IDENTITY_TOKEN: u32 = 324;
    pub const X509_IDENTITY_TOKEN: u32 = 327;
    pub const ISSUED_IDENTITY_TOKEN: u32 = 940;
}

/// The message name of a namespace-0 binary encoding id.
pub fn service_name(id: u32) -> Option<&'static str> {
    SERVICES
        .binary_search_by_key(&id, |&(i, _)| i)
        .ok()
        .and_then(|i| SERVICES.get(i))
        .map(|&(_, n)| n)
}

/// Whether a service message is a request (`...Request`, `...RequestType`).
pub fn is_request(name: &str) -> bool {
    name.ends_with("Request") || name.ends_with("RequestType")
}

/// Status codes of `StatusCode.csv` (the code with its 16 info bits clear),
/// sorted by code.
const STATUS_CODES: &[(u32, &str)] = &[
    (0x0000_0000, "Good"),
    (0x002D_0000, "GoodSubscriptionTransferred"),
    (0x002E_0000, "GoodCompletesAsynchronously"),
    (0x002F_0000, "GoodOverload"),
    (0x0030_0000, "GoodClamped"),
    (0x0096_0000, "GoodLocalOverride"),
    (0x00A2_0000, "GoodEntryInserted"),
    (0x00A3_0000, "GoodEntryReplaced"),
    (0x00A5_0000, "GoodNoData"),
    (0x00A6_0000, "GoodMoreData"),
    (0x00A7_0000, "GoodCommunicationEvent"),
    (0x00A8_0000, "GoodShutdownEvent"),
    (0x00A9_0000, "GoodCallAgain"),
    (0x00AA_0000, "GoodNonCriticalTimeout"),
    (0x00BA_0000, "GoodResultsMayBeIncomplete"),
    (0x00D9_0000, "GoodDataIgnored"),
    (0x00DC_0000, "GoodEdited"),
    (0x00DD_0000, "GoodPostActionFailed"),
    (0x00DF_0000, "GoodRetransmissionQueueNotSupported"),
    (0x00E0_0000, "GoodDependentValueChanged"),
    (0x00EB_0000, "GoodSubNormal"),
    (0x00EF_0000, "GoodPasswordChangeRequired"),
    (0x0116_0000, "GoodEdited_DependentValueChanged"),
    (0x0117_0000, "GoodEdited_DominantValueChanged"),
    (
        0x0118_0000,
        "GoodEdited_DominantValueChanged_DependentValueChanged",
    ),
    (0x0401_0000, "GoodCascadeInitializationAcknowledged"),
    (0x0402_0000, "GoodCascadeInitializationRequest"),
    (0x0403_0000, "GoodCascadeNotInvited"),
    (0x0404_0000, "GoodCascadeNotSelected"),
    (0x0407_0000, "GoodFaultStateActive"),
    (0x0408_0000, "GoodInitiateFaultState"),
    (0x0409_0000, "GoodCascade"),
    (0x4000_0000, "Uncertain"),
    (0x406C_0000, "UncertainReferenceOutOfServer"),
    (0x408F_0000, "UncertainNoCommunicationLastUsableValue"),
    (0x4090_0000, "UncertainLastUsableValue"),
    (0x4091_0000, "UncertainSubstituteValue"),
    (0x4092_0000, "UncertainInitialValue"),
    (0x4093_0000, "UncertainSensorNotAccurate"),
    (0x4094_0000, "UncertainEngineeringUnitsExceeded"),
    (0x4095_0000, "UncertainSubNormal"),
    (0x40A4_0000, "UncertainDataSubNormal"),
    (0x40BC_0000, "UncertainReferenceNotDeleted"),
    (0x40C0_0000, "UncertainNotAllNodesAvailable"),
    (0x40DE_0000, "UncertainDominantValueChanged"),
    (0x40E2_0000, "UncertainDependentValueChanged"),
    (0x40F2_0000, "UncertainOverRange"),
    (0x40F3_0000, "UncertainUnderRange"),
    (0x4208_0000, "UncertainTransducerInManual"),
    (0x4209_0000, "UncertainSimulatedValue"),
    (0x420A_0000, "UncertainSensorCalibration"),
    (0x420F_0000, "UncertainConfigurationError"),
    (0x8000_0000, "Bad"),
    (0x8001_0000, "BadUnexpectedError"),
    (0x8002_0000, "BadInternalError"),
    (0x8003_0000, "BadOutOfMemory"),
    (0x8004_0000, "BadResourceUnavailable"),
    (0x8005_0000, "BadCommunicationError"),
    (0x8006_0000, "BadEncodingError"),
    (0x8007_0000, "BadDecodingError"),
    (0x8008_0000, "BadEncodingLimitsExceeded"),
    (0x8009_0000, "BadUnknownResponse"),
    (0x800A_0000, "BadTimeout"),
    (0x800B_0000, "BadServiceUnsupported"),
    (0x800C_0000, "BadShutdown"),
    (0x800D_0000, "BadServerNotConnected"),
    (0x800E_0000, "BadServerHalted"),
    (0x800F_0000, "BadNothingToDo"),
    (0x8010_0000, "BadTooManyOperations"),
    (0x8011_0000, "BadDataTypeIdUnknown"),
    (0x8012_0000, "BadCertificateInvalid"),
    (0x8013_0000, "BadSecurityChecksFailed"),
    (0x8014_0000, "BadCertificateTimeInvalid"),
    (0x8015_0000, "BadCertificateIssuerTimeInvalid"),
    (0x8016_0000, "BadCertificateHostNameInvalid"),
    (0x8017_0000, "BadCertificateUriInvalid"),
    (0x8018_0000, "BadCertificateUseNotAllowed"),
    (0x8019_0000, "BadCertificateIssuerUseNotAllowed"),
    (0x801A_0000, "BadCertificateUntrusted"),
    (0x801B_0000, "BadCertificateRevocationUnknown"),
    (0x801C_0000, "BadCertificateIssuerRevocationUnknown"),
    (0x801D_0000, "BadCertificateRevoked"),
    (0x801E_0000, "BadCertificateIssuerRevoked"),
    (0x801F_0000, "BadUserAccessDenied"),
    (0x8020_0000, "BadIdentityTokenInvalid"),
    (0x8021_0000, "BadIdentityTokenRejected"),
    (0x8022_0000, "BadSecureChannelIdInvalid"),
    (0x8023_0000, "BadInvalidTimestamp"),
    (0x8024_0000, "BadNonceInvalid"),
    (0x8025_0000, "BadSessionIdInvalid"),
    (0x8026_0000, "BadSessionClosed"),
    (0x8027_0000, "BadSessionNotActivated"),
    (0x8028_0000, "BadSubscriptionIdInvalid"),
    (0x802A_0000, "BadRequestHeaderInvalid"),
    (0x802B_0000, "BadTimestampsToReturnInvalid"),
    (0x802C_0000, "BadRequestCancelledByClient"),
    (0x8031_0000, "BadNoCommunication"),
    (0x8032_0000, "BadWaitingForInitialData"),
    (0x8033_0000, "BadNodeIdInvalid"),
    (0x8034_0000, "BadNodeIdUnknown"),
    (0x8035_0000, "BadAttributeIdInvalid"),
    (0x8036_0000, "BadIndexRangeInvalid"),
    (0x8037_0000, "BadIndexRangeNoData"),
    (0x8038_0000, "BadDataEncodingInvalid"),
    (0x8039_0000, "BadDataEncodingUnsupported"),
    (0x803A_0000, "BadNotReadable"),
    (0x803B_0000, "BadNotWritable"),
    (0x803C_0000, "BadOutOfRange"),
    (0x803D_0000, "BadNotSupported"),
    (0x803E_0000, "BadNotFound"),
    (0x803F_0000, "BadObjectDeleted"),
    (0x8040_0000, "BadNotImplemented"),
    (0x8041_0000, "BadMonitoringModeInvalid"),
    (0x8042_0000, "BadMonitoredItemIdInvalid"),
    (0x8043_0000, "BadMonitoredItemFilterInvalid"),
    (0x8044_0000, "BadMonitoredItemFilterUnsupported"),
    (0x8045_0000, "BadFilterNotAllowed"),
    (0x8046_0000, "BadStructureMissing"),
    (0x8047_0000, "BadEventFilterInvalid"),
    (0x8048_0000, "BadContentFilterInvalid"),
    (0x8049_0000, "BadFilterOperandInvalid"),
    (0x804A_0000, "BadContinuationPointInvalid"),
    (0x804B_0000, "BadNoContinuationPoints"),
    (0x804C_0000, "BadReferenceTypeIdInvalid"),
    (0x804D_0000, "BadBrowseDirectionInvalid"),
    (0x804E_0000, "BadNodeNotInView"),
    (0x804F_0000, "BadServerUriInvalid"),
    (0x8050_0000, "BadServerNameMissing"),
    (0x8051_0000, "BadDiscoveryUrlMissing"),
    (0x8052_0000, "BadSemaphoreFileMissing"),
    (0x8053_0000, "BadRequestTypeInvalid"),
    (0x8054_0000, "BadSecurityModeRejected"),
    (0x8055_0000, "BadSecurityPolicyRejected"),
    (0x8056_0000, "BadTooManySessions"),
    (0x8057_0000, "BadUserSignatureInvalid"),
    (0x8058_0000, "BadApplicationSignatureInvalid"),
    (0x8059_0000, "BadNoValidCertificates"),
    (0x805A_0000, "BadRequestCancelledByRequest"),
    (0x805B_0000, "BadParentNodeIdInvalid"),
    (0x805C_0000, "BadReferenceNotAllowed"),
    (0x805D_0000, "BadNodeIdRejected"),
    (0x805E_0000, "BadNodeIdExists"),
    (0x805F_0000, "BadNodeClassInvalid"),
    (0x8060_0000, "BadBrowseNameInvalid"),
    (0x8061_0000, "BadBrowseNameDuplicated"),
    (0x8062_0000, "BadNodeAttributesInvalid"),
    (0x8063_0000, "BadTypeDefinitionInvalid"),
    (0x8064_0000, "BadSourceNodeIdInvalid"),
    (0x8065_0000, "BadTargetNodeIdInvalid"),
    (0x8066_0000, "BadDuplicateReferenceNotAllowed"),
    (0x8067_0000, "BadInvalidSelfReference"),
    (0x8068_0000, "BadReferenceLocalOnly"),
    (0x8069_0000, "BadNoDeleteRights"),
    (0x806A_0000, "BadServerIndexInvalid"),
    (0x806B_0000, "BadViewIdUnknown"),
    (0x806D_0000, "BadTooManyMatches"),
    (0x806E_0000, "BadQueryTooComplex"),
    (0x806F_0000, "BadNoMatch"),
    (0x8070_0000, "BadMaxAgeInvalid"),
    (0x8071_0000, "BadHistoryOperationInvalid"),
    (0x8072_0000, "BadHistoryOperationUnsupported"),
    (0x8073_0000, "BadWriteNotSupported"),
    (0x8074_0000, "BadTypeMismatch"),
    (0x8075_0000, "BadMethodInvalid"),
    (0x8076_0000, "BadArgumentsMissing"),
    (0x8077_0000, "BadTooManySubscriptions"),
    (0x8078_0000, "BadTooManyPublishRequests"),
    (0x8079_0000, "BadNoSubscription"),
    (0x807A_0000, "BadSequenceNumberUnknown"),
    (0x807B_0000, "BadMessageNotAvailable"),
    (0x807C_0000, "BadInsufficientClientProfile"),
    (0x807D_0000, "BadTcpServerTooBusy"),
    (0x807E_0000, "BadTcpMessageTypeInvalid"),
    (0x807F_0000, "BadTcpSecureChannelUnknown"),
    (0x8080_0000, "BadTcpMessageTooLarge"),
    (0x8081_0000, "BadTcpNotEnoughResources"),
    (0x8082_0000, "BadTcpInternalError"),
    (0x8083_0000, "BadTcpEndpointUrlInvalid"),
    (0x8084_0000, "BadRequestInterrupted"),
    (0x8085_0000, "BadRequestTimeout"),
    (0x8086_0000, "BadSecureChannelClosed"),
    (0x8087_0000, "BadSecureChannelTokenUnknown"),
    (0x8088_0000, "BadSequenceNumberInvalid"),
    (0x8089_0000, "BadConfigurationError"),
    (0x808A_0000, "BadNotConnected"),
    (0x808B_0000, "BadDeviceFailure"),
    (0x808C_0000, "BadSensorFailure"),
    (0x808D_0000, "BadOutOfService"),
    (0x808E_0000, "BadDeadbandFilterInvalid"),
    (0x8097_0000, "BadRefreshInProgress"),
    (0x8098_0000, "BadConditionAlreadyDisabled"),
    (0x8099_0000, "BadConditionDisabled"),
    (0x809A_0000, "BadEventIdUnknown"),
    (0x809B_0000, "BadNoData"),
    (0x809D_0000, "BadDataLost"),
    (0x809E_0000, "BadDataUnavailable"),
    (0x809F_0000, "BadEntryExists"),
    (0x80A0_0000, "BadNoEntryExists"),
    (0x80A1_0000, "BadTimestampNotSupported"),
    (0x80AB_0000, "BadInvalidArgument"),
    (0x80AC_0000, "BadConnectionRejected"),
    (0x80AD_0000, "BadDisconnect"),
    (0x80AE_0000, "BadConnectionClosed"),
    (0x80AF_0000, "BadInvalidState"),
    (0x80B0_0000, "BadEndOfStream"),
    (0x80B1_0000, "BadNoDataAvailable"),
    (0x80B2_0000, "BadWaitingForResponse"),
    (0x80B3_0000, "BadOperationAbandoned"),
    (0x80B4_0000, "BadExpectedStreamToBlock"),
    (0x80B5_0000, "BadWouldBlock"),
    (0x80B6_0000, "BadSyntaxError"),
    (0x80B7_0000, "BadMaxConnectionsReached"),
    (0x80B8_0000, "BadRequestTooLarge"),
    (0x80B9_0000, "BadResponseTooLarge"),
    (0x80BB_0000, "BadEventNotAcknowledgeable"),
    (0x80BD_0000, "BadInvalidTimestampArgument"),
    (0x80BE_0000, "BadProtocolVersionUnsupported"),
    (0x80BF_0000, "BadStateNotActive"),
    (0x80C1_0000, "BadFilterOperatorInvalid"),
    (0x80C2_0000, "BadFilterOperatorUnsupported"),
    (0x80C3_0000, "BadFilterOperandCountMismatch"),
    (0x80C4_0000, "BadFilterElementInvalid"),
    (0x80C5_0000, "BadFilterLiteralInvalid"),
    (0x80C6_0000, "BadIdentityChangeNotSupported"),
    (0x80C8_0000, "BadNotTypeDefinition"),
    (0x80C9_0000, "BadViewTimestampInvalid"),
    (0x80CA_0000, "BadViewParameterMismatch"),
    (0x80CB_0000, "BadViewVersionInvalid"),
    (0x80CC_0000, "BadConditionAlreadyEnabled"),
    (0x80CD_0000, "BadDialogNotActive"),
    (0x80CE_0000, "BadDialogResponseInvalid"),
    (0x80CF_0000, "BadConditionBranchAlreadyAcked"),
    (0x80D0_0000, "BadConditionBranchAlreadyConfirmed"),
    (0x80D1_0000, "BadConditionAlreadyShelved"),
    (0x80D2_0000, "BadConditionNotShelved"),
    (0x80D3_0000, "BadShelvingTimeOutOfRange"),
    (0x80D4_0000, "BadAggregateListMismatch"),
    (0x80D5_0000, "BadAggregateNotSupported"),
    (0x80D6_0000, "BadAggregateInvalidInputs"),
    (0x80D7_0000, "BadBoundNotFound"),
    (0x80D8_0000, "BadBoundNotSupported"),
    (0x80DA_0000, "BadAggregateConfigurationRejected"),
    (0x80DB_0000, "BadTooManyMonitoredItems"),
    (0x80E1_0000, "BadDominantValueChanged"),
    (0x80E3_0000, "BadDependentValueChanged"),
    (0x80E4_0000, "BadRequestNotAllowed"),
    (0x80E5_0000, "BadTooManyArguments"),
    (0x80E6_0000, "BadSecurityModeInsufficient"),
    (0x80E7_0000, "BadDataSetIdInvalid"),
    (0x80E8_0000, "BadTransactionPending"),
    (0x80E9_0000, "BadLocked"),
    (0x80EA_0000, "BadIndexRangeDataMismatch"),
    (0x80EC_0000, "BadRequiresLock"),
    (0x80ED_0000, "BadLocaleNotSupported"),
    (0x80EE_0000, "BadServerTooBusy"),
    (0x80F0_0000, "BadNoValue"),
    (0x80F1_0000, "BadTransactionFailed"),
    (0x810D_0000, "BadCertificateChainIncomplete"),
    (0x810E_0000, "BadLicenseExpired"),
    (0x810F_0000, "BadLicenseLimitsExceeded"),
    (0x8110_0000, "BadLicenseNotAvailable"),
    (0x8111_0000, "BadNotExecutable"),
    (0x8112_0000, "BadNumericOverflow"),
    (0x8113_0000, "BadRequestNotComplete"),
    (0x8114_0000, "BadCertificatePolicyCheckFailed"),
    (0x8115_0000, "BadAlreadyExists"),
    (0x8119_0000, "BadEdited_OutOfRange"),
    (0x811A_0000, "BadInitialValue_OutOfRange"),
    (0x811B_0000, "BadOutOfRange_DominantValueChanged"),
    (0x811C_0000, "BadEdited_OutOfRange_DominantValueChanged"),
    (
        0x811D_0000,
        "BadOutOfRange_DominantValueChanged_DependentValueChanged",
    ),
    (
        0x811E_0000,
        "BadEdited_OutOfRange_DominantValueChanged_DependentValueChanged",
    ),
    (0x811F_0000, "BadTicketRequired"),
    (0x8120_0000, "BadTicketInvalid"),
];

/// The symbolic name of a status code (its low 16 info bits ignored).
pub fn status_name(code: u32) -> Option<&'static str> {
    let key = code & 0xFFFF_0000;
    STATUS_CODES
        .binary_search_by_key(&key, |&(c, _)| c)
        .ok()
        .and_then(|i| STATUS_CODES.get(i))
        .map(|&(_, n)| n)
}

/// Attribute names by attribute id (OPC 10000-6 A.1), index = id - 1.
const ATTRIBUTES: &[&str] = &[
    "NodeId",
    "NodeClass",
    "BrowseName",
    "DisplayName",
    "Description",
    "WriteMask",
    "UserWriteMask",
    "IsAbstract",
    "Symmetric",
    "InverseName",
    "ContainsNoLoops",
    "EventNotifier",
    "Value",
    "DataType",
    "ValueRank",
    "ArrayDimensions",
    "AccessLevel",
    "UserAccessLevel",
    "MinimumSamplingInterval",
    "Historizing",
    "Executable",
    "UserExecutable",
    "DataTypeDefinition",
    "RolePermissions",
    "UserRolePermissions",
    "AccessRestrictions",
    "AccessLevelEx",
];

/// The name of an attribute id.
pub fn attribute_name(id: u32) -> Option<&'static str> {
    let i = usize::try_from(id.checked_sub(1)?).ok()?;
    ATTRIBUTES.get(i).copied()
}

/// `MessageSecurityMode` (0 Invalid, 1 None, 2 Sign, 3 SignAndEncrypt).
pub fn security_mode_name(mode: u32) -> Option<&'static str> {
    ["Invalid", "None", "Sign", "SignAndEncrypt"]
        .get(usize::try_from(mode).ok()?)
        .copied()
}

/// `SecurityTokenRequestType` (0 Issue, 1 Renew).
pub fn request_type_name(t: u32) -> Option<&'static str> {
    ["Issue", "Renew"].get(usize::try_from(t).ok()?).copied()
}

/// `TimestampsToReturn` (0 Source, 1 Server, 2 Both, 3 Neither, 4 Invalid).
pub fn timestamps_to_return_name(t: u32) -> Option<&'static str> {
    ["Source", "Server", "Both", "Neither", "Invalid"]
        .get(usize::try_from(t).ok()?)
        .copied()
}

/// `BrowseDirection` (0 Forward, 1 Inverse, 2 Both, 3 Invalid).
pub fn browse_direction_name(t: u32) -> Option<&'static str> {
    ["Forward", "Inverse", "Both", "Invalid"]
        .get(usize::try_from(t).ok()?)
        .copied()
}

/// `ApplicationType` (0 Server, 1 Client, 2 ClientAndServer, 3 DiscoveryServer).
pub fn application_type_name(t: u32) -> Option<&'static str> {
    ["Server", "Client", "ClientAndServer", "DiscoveryServer"]
        .get(usize::try_from(t).ok()?)
        .copied()
}

/// `MonitoringMode` (0 Disabled, 1 Sampling, 2 Reporting).
pub fn monitoring_mode_name(t: u32) -> Option<&'static str> {
    ["Disabled", "Sampling", "Reporting"]
        .get(usize::try_from(t).ok()?)
        .copied()
}

/// `NodeClass` (a single bit: 1 Object, 2 Variable, 4 Method, 8 ObjectType,
/// 16 VariableType, 32 ReferenceType, 64 DataType, 128 View; 0 Unspecified).
pub fn node_class_name(c: u32) -> Option<&'static str> {
    Some(match c {
        0 => "Unspecified",
        1 => "Object",
        2 => "Variable",
        4 => "Method",
        8 => "ObjectType",
        16 => "VariableType",
        32 => "ReferenceType",
        64 => "DataType",
        128 => "View",
        _ => return None,
    })
}

/// The name of a user identity token by its binary encoding id.
pub fn identity_token_name(id: u32) -> Option<&'static str> {
    Some(match id {
        enc::ANONYMOUS_IDENTITY_TOKEN => "AnonymousIdentityToken",
        enc::USER_NAME_IDENTITY_TOKEN => "UserNameIdentityToken",
        enc::X509_IDENTITY_TOKEN => "X509IdentityToken",
        enc::ISSUED_IDENTITY_TOKEN => "IssuedIdentityToken",
        _ => return None,
    })
}

/// Built-in type names of Variant encoding masks (OPC 10000-6 5.1.2), index = type id - 1.
const BUILTIN_TYPES: &[&str] = &[
    "Boolean",
    "SByte",
    "Byte",
    "Int16",
    "UInt16",
    "Int32",
    "UInt32",
    "Int64",
    "UInt64",
    "Float",
    "Double",
    "String",
    "DateTime",
    "Guid",
    "ByteString",
    "XmlElement",
    "NodeId",
    "ExpandedNodeId",
    "StatusCode",
    "QualifiedName",
    "LocalizedText",
    "ExtensionObject",
    "DataValue",
    "Variant",
    "DiagnosticInfo",
];

/// The name of a built-in type id (1..=25).
pub fn builtin_type_name(id: u8) -> Option<&'static str> {
    BUILTIN_TYPES.get(usize::from(id.checked_sub(1)?)).copied()
}

/// The short name of a security policy URI (the part after `#` of the
/// OPC Foundation's `http://opcfoundation.org/UA/SecurityPolicy#` URIs).
pub fn policy_short_name(uri: &[u8]) -> Option<&[u8]> {
    uri.strip_prefix(b"http://opcfoundation.org/UA/SecurityPolicy#")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_sorted_for_binary_search() {
        assert!(SERVICES.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(STATUS_CODES.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(STATUS_CODES.iter().all(|(c, _)| c & 0xFFFF == 0));
    }

    #[test]
    fn lookups() {
        assert_eq!(service_name(631), Some("ReadRequest"));
        assert_eq!(service_name(12212), Some("RegisterServer2Response"));
        assert_eq!(service_name(632), None);
        assert_eq!(status_name(0x8079_0000), Some("BadNoSubscription"));
        assert_eq!(status_name(0x0000_0400), Some("Good"));
        assert_eq!(status_name(0x8121_0000), None);
        assert_eq!(attribute_name(13), Some("Value"));
        assert_eq!(attribute_name(0), None);
        assert_eq!(attribute_name(28), None);
        assert_eq!(builtin_type_name(6), Some("Int32"));
        assert_eq!(builtin_type_name(0), None);
        assert!(is_request("ReadRequest") && !is_request("ServiceFault"));
    }
}
