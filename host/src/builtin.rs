//! The rule plugins compiled into the host, used when configuration names no plugin file.

/// A plugin the host carries in its binary.
#[derive(Debug, Clone, Copy)]
pub struct Builtin {
    /// The resource it handles.
    pub resource: &'static str,
    /// How logs and errors name it.
    pub name: &'static str,
    /// The component's bytes.
    pub bytes: &'static [u8],
}

/// Every built-in plugin, one per resource.
pub const BUILTINS: &[Builtin] = &[
    Builtin { resource: "users", name: "builtin:users", bytes: plugin_artifacts::USERS },
    Builtin { resource: "projects", name: "builtin:projects", bytes: plugin_artifacts::PROJECTS },
    Builtin { resource: "groups", name: "builtin:groups", bytes: plugin_artifacts::GROUPS },
    Builtin { resource: "forms", name: "builtin:forms", bytes: plugin_artifacts::FORMS },
    Builtin {
        resource: "form_completions",
        name: "builtin:form_completions",
        bytes: plugin_artifacts::FORM_COMPLETIONS,
    },
    Builtin {
        resource: "participations",
        name: "builtin:participations",
        bytes: plugin_artifacts::PARTICIPATIONS,
    },
];

/// The built-in plugin for `resource`, if there is one.
pub fn for_resource(resource: &str) -> Option<Builtin> {
    BUILTINS.iter().copied().find(|b| b.resource == resource)
}
