/// Node kinds: what sort of system a node is (a school, a county bureau, a psychiatric
/// clinic…). Used by role addresses (`role:health/psychiatric-clinic@350102`), by supervisor
/// search and, optionally, by the policy.
///
/// Kinds are plain strings (one lowercase segment, `[a-z][a-z0-9-]*`, at most 64 characters)
/// so that the list can grow without a new program: an operator adds kinds in the directory
/// file's top-level `"kinds"` array. The defaults below are always known.
public enum NodeKind {
    /// The kinds every directory knows, without listing them.
    public static let defaults: [String] = [
        "school",  // 学校
        "county-bureau",  // 县级主管部门 (education, civil affairs, health, …)
        "city-bureau",  // 市级主管部门
        "provincial-bureau",  // 省级主管部门
        "township-office",  // 乡镇政府/街道办
        "township-supervisor",  // 乡镇（街道）儿童督导员
        "village-committee",  // 村（居）委会
        "child-director",  // 村（居）儿童主任
        "child-welfare-institution",  // 儿童福利机构
        "minor-protection-centre",  // 未成年人救助保护机构
        "hospital",  // 医院
        "psychiatric-clinic",  // 精神专科医院/门诊
        "child-psychology-clinic",  // 儿童心理门诊
        "maternal-child-health",  // 妇幼保健院
        "hotline",  // 12355 / 12338 热线
        "social-worker",  // 社会工作者/服务站
        "family-education-station",  // 家庭教育指导服务站
        "police-station",  // 派出所
        "public-security-bureau",  // 公安局
    ]
}
