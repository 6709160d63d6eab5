//! Ahead-of-time compilation: the same translation as the JIT, emitted with
//! `cranelift-object` as a relocatable object for the host, plus its C header.
//!
//! The object defines the kernel (local), a [`PolicyDesc`] exported as
//! `bylaw_<name>_policy` (kernel address, parameter tables at the build date, input
//! shape), and two exported C functions, `bylaw_<name>_eval_batch` and
//! `bylaw_<name>_eval_one`, which pass the descriptor on to the runtime's
//! `bylaw_rt_eval_batch` / `bylaw_rt_eval_one`. The kernel calls the arithmetic helpers
//! through the table the runtime hands it, so the only symbols left for the linker are
//! those two runtime entry points.

use std::mem::offset_of;
use std::path::Path;
use std::process::Command;

use bylaw_compiler::ir::Program;
use bylaw_runtime::native::keys;
use bylaw_runtime::native::policy::{
    ABI_VERSION, KIND_BOOL, KIND_DATE, KIND_ENUM, KIND_INT, KIND_TEXT, PolicyDesc, ROLE_FIRST_DAY,
    ROLE_LAST_DAY,
};
use bylaw_runtime::schema::ColumnType;
use cranelift_codegen::ir::{AbiParam, InstBuilder, UserFuncName, types};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_module::{DataDescription, DataId, FuncId, Linkage, Module, default_libcall_names};
use cranelift_object::{ObjectBuilder, ObjectModule};

use crate::CodegenError;
use crate::translate::{Plan, TableCell, output_width, translate};

/// A policy compiled ahead of time: an object file and the C header describing it.
#[derive(Debug, Clone)]
pub struct NativeObject {
    /// The relocatable object (ELF on Linux, Mach-O on macOS) for the host.
    pub object: Vec<u8>,
    /// `bylaw_<name>.h`.
    pub header: String,
    /// The symbol prefix, `bylaw_<name>`.
    pub prefix: String,
}

/// The C identifier for a policy name: ASCII letters, digits and `_`, the rest `_`.
pub(crate) fn c_name(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, '_');
    }
    s
}

/// Compiles `program` at `date` (a day number) to an object exporting
/// `bylaw_<name>_*`, its descriptor carrying `source_hash` (see
/// `bylaw_compiler::load::source_hash`).
///
/// # Errors
/// [`CodegenError::Unsupported`] for a program that reads or produces text (text is
/// not part of the C ABI) or uses something the backend does not compile;
/// [`CodegenError::Module`] if the host is not supported.
pub fn compile_object(
    program: &Program,
    date: i32,
    name: &str,
    source_hash: &[u8; 32],
) -> Result<NativeObject, CodegenError> {
    compile(program, date, name, source_hash, true)
}

/// As [`compile_object`] without the two exported C functions: an object that needs
/// no symbol from the runtime, for a process that runs it through its own runtime
/// ([`crate::LoadedPolicy`]); its source hash is all zeros.
pub(crate) fn compile_object_for_loading(
    program: &Program,
    date: i32,
    name: &str,
) -> Result<NativeObject, CodegenError> {
    compile(program, date, name, &[0; 32], false)
}

fn compile(
    program: &Program,
    date: i32,
    name: &str,
    source_hash: &[u8; 32],
    wrappers: bool,
) -> Result<NativeObject, CodegenError> {
    let prefix = format!("bylaw_{}", c_name(name));
    let plan = Plan::new(program, date)?;

    let mut flags = settings::builder();
    let set = |f: &mut settings::Builder, k: &str, v: &str| {
        f.set(k, v)
            .map_err(|e| CodegenError::Module(format!("{k}={v}: {e}")))
    };
    set(&mut flags, "is_pic", "true")?;
    set(&mut flags, "opt_level", "speed")?;
    let isa = cranelift_native::builder()
        .map_err(|e| CodegenError::Module(format!("host machine is not supported: {e}")))?
        .finish(settings::Flags::new(flags))
        .map_err(|e| CodegenError::Module(e.to_string()))?;
    let builder = ObjectBuilder::new(isa, prefix.clone(), default_libcall_names())
        .map_err(CodegenError::module)?;
    let mut module = ObjectModule::new(builder);
    let declared = translate(
        &mut module,
        &plan,
        &format!("{prefix}_kernel"),
        Linkage::Local,
    )?;
    let needs = &declared.needs;
    if !needs.texts.is_empty() || !needs.text_columns.is_empty() {
        return Err(CodegenError::Unsupported(
            "the policy compares or produces text, which native libraries do not take; \
             use `bylaw eval` (JIT) for it"
                .into(),
        ));
    }
    let mut tables = Vec::new();
    for c in &needs.tables {
        tables.push(match c {
            TableCell::Absent => 0,
            TableCell::Int(i) => *i,
            TableCell::Text(_) => {
                return Err(CodegenError::Unsupported(
                    "a parameter has text values, which native libraries do not take".into(),
                ));
            }
        });
    }
    if tables.is_empty() {
        tables.push(0);
    }
    let tables_id = define_words(
        &mut module,
        &format!("{prefix}_tables"),
        &tables
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect::<Vec<_>>(),
    )?;
    let shape = shape_of(program);
    let shape_id = define_words(
        &mut module,
        &format!("{prefix}_shape"),
        &shape
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect::<Vec<_>>(),
    )?;
    let mut name_bytes = name.as_bytes().to_vec();
    name_bytes.push(0);
    let name_id = define_words(&mut module, &format!("{prefix}_name"), &name_bytes)?;
    let column_names_id = define_words(
        &mut module,
        &format!("{prefix}_column_names"),
        &column_names(program),
    )?;
    let mut enum_keys: Vec<u8> = enum_keys(program)?
        .iter()
        .flat_map(|k| k.to_le_bytes())
        .collect();
    if enum_keys.is_empty() {
        enum_keys.extend([0; 4]);
    }
    let enum_keys_id = define_words(&mut module, &format!("{prefix}_enum_keys"), &enum_keys)?;
    let desc_id = define_desc(
        &mut module,
        &prefix,
        program,
        Described {
            kernel: declared.kernel,
            tables: tables_id,
            shape: shape_id,
            name: name_id,
            column_names: column_names_id,
            enum_keys: enum_keys_id,
            date,
            source_hash,
        },
    )?;
    if wrappers {
        define_wrappers(&mut module, &prefix, desc_id)?;
    }
    let object = module
        .finish()
        .emit()
        .map_err(|e| CodegenError::Module(e.to_string()))?;
    let header = crate::header::render(program, name, &prefix, date);
    Ok(NativeObject {
        object,
        header,
        prefix,
    })
}

/// Every column's name (`entity.field`), NUL-terminated, in slot order.
fn column_names(program: &Program) -> Vec<u8> {
    let mut out = Vec::new();
    for e in &program.schema.entities {
        for f in &e.fields {
            out.extend_from_slice(keys::column_name(e, &f.name).as_bytes());
            out.push(0);
        }
    }
    if out.is_empty() {
        out.push(0);
    }
    out
}

/// The keys of every enumeration column's variants, in slot order.
///
/// # Errors
/// [`CodegenError::Unsupported`] if two variants of an enumeration share a key.
fn enum_keys(program: &Program) -> Result<Vec<u32>, CodegenError> {
    let mut out = Vec::new();
    for f in program.schema.entities.iter().flat_map(|e| &e.fields) {
        if let ColumnType::Enum(en) = &f.ty {
            let keys =
                keys::variant_keys(en).map_err(|e| CodegenError::Unsupported(e.to_string()))?;
            out.extend(keys);
        }
    }
    Ok(out)
}

/// The input shape the runtime checks batches against (see [`PolicyDesc::shape`]).
pub(crate) fn shape_of(program: &Program) -> Vec<u32> {
    let schema = &program.schema;
    let mut shape: Vec<u32> = program
        .outputs
        .iter()
        .map(|d| output_width(program.def(*d).ty) as u32)
        .collect();
    for (e, entity) in schema.entities.iter().enumerate() {
        for (i, f) in entity.fields.iter().enumerate() {
            let role = entity.dated.and_then(|d| {
                let i = bylaw_runtime::schema::FieldId(i as u32);
                (d.from == i)
                    .then_some(ROLE_FIRST_DAY)
                    .or((d.until == i).then_some(ROLE_LAST_DAY))
            });
            let (kind, variants) = match &f.ty {
                ColumnType::Bool => (KIND_BOOL, 0),
                ColumnType::Date => (KIND_DATE, 0),
                ColumnType::Enum(en) => (KIND_ENUM, en.variants.len() as u32),
                ColumnType::Text => (KIND_TEXT, 0),
                _ => (KIND_INT, 0),
            };
            let unit = role.unwrap_or_else(|| keys::unit_factor(&f.ty));
            shape.extend([e as u32, kind, variants, unit]);
        }
    }
    for (e, entity) in schema.entities.iter().enumerate() {
        for r in &entity.relations {
            shape.extend([e as u32, r.child.0]);
        }
    }
    shape
}

fn define_words<M: Module>(
    module: &mut M,
    name: &str,
    bytes: &[u8],
) -> Result<DataId, CodegenError> {
    let id = module
        .declare_data(name, Linkage::Local, false, false)
        .map_err(CodegenError::module)?;
    let mut data = DataDescription::new();
    data.define(bytes.to_vec().into_boxed_slice());
    data.set_align(8);
    module
        .define_data(id, &data)
        .map_err(CodegenError::module)?;
    Ok(id)
}

/// What a descriptor points to and says besides the program's counts.
struct Described<'a> {
    kernel: FuncId,
    tables: DataId,
    shape: DataId,
    name: DataId,
    column_names: DataId,
    enum_keys: DataId,
    date: i32,
    source_hash: &'a [u8; 32],
}

fn define_desc(
    module: &mut ObjectModule,
    prefix: &str,
    program: &Program,
    described: Described<'_>,
) -> Result<DataId, CodegenError> {
    let Described {
        kernel,
        tables,
        shape,
        name,
        column_names,
        enum_keys,
        date,
        source_hash,
    } = described;
    let schema = &program.schema;
    let count = |f: &dyn Fn(&bylaw_runtime::schema::EntitySchema) -> usize| {
        schema.entities.iter().map(f).sum::<usize>() as u32
    };
    let head = [
        ABI_VERSION,
        program.outputs.len() as u32,
        program.defs.len() as u32,
        schema.entities.len() as u32,
        schema.root.0,
        count(&|e| e.fields.len()),
        count(&|e| e.relations.len()),
        0,
    ];
    let mut bytes: Vec<u8> = head.iter().flat_map(|v| v.to_le_bytes()).collect();
    bytes.resize(std::mem::size_of::<PolicyDesc>(), 0);
    let at = offset_of!(PolicyDesc, date);
    bytes[at..at + 4].copy_from_slice(&date.to_le_bytes());
    let at = offset_of!(PolicyDesc, source_hash);
    bytes[at..at + 32].copy_from_slice(source_hash);
    let id = module
        .declare_data(&format!("{prefix}_policy"), Linkage::Export, false, false)
        .map_err(CodegenError::module)?;
    let mut data = DataDescription::new();
    data.define(bytes.into_boxed_slice());
    data.set_align(8);
    let k = module.declare_func_in_data(kernel, &mut data);
    data.write_function_addr(offset_of!(PolicyDesc, kernel) as u32, k);
    let t = module.declare_data_in_data(tables, &mut data);
    data.write_data_addr(offset_of!(PolicyDesc, tables) as u32, t, 0);
    let s = module.declare_data_in_data(shape, &mut data);
    data.write_data_addr(offset_of!(PolicyDesc, shape) as u32, s, 0);
    let n = module.declare_data_in_data(name, &mut data);
    data.write_data_addr(offset_of!(PolicyDesc, name) as u32, n, 0);
    let c = module.declare_data_in_data(column_names, &mut data);
    data.write_data_addr(offset_of!(PolicyDesc, column_names) as u32, c, 0);
    let k = module.declare_data_in_data(enum_keys, &mut data);
    data.write_data_addr(offset_of!(PolicyDesc, enum_keys) as u32, k, 0);
    module
        .define_data(id, &data)
        .map_err(CodegenError::module)?;
    Ok(id)
}

/// `<prefix>_eval_batch(batch, start, end, outputs, errors, failures, failure_count)`,
/// `<prefix>_eval_one(batch, row, values, error)` and `<prefix>_policy_info(info)`: the
/// runtime's entry points with this policy's descriptor as first argument.
fn define_wrappers(
    module: &mut ObjectModule,
    prefix: &str,
    desc: DataId,
) -> Result<(), CodegenError> {
    let ptr = module.target_config().pointer_type();
    let i64t = types::I64;
    let p = |t| AbiParam::new(t);
    let batch_params = [ptr, i64t, i64t, ptr, ptr, ptr, ptr];
    let one_params = [ptr, i64t, ptr, ptr];
    let info_params = [ptr];
    let mut ctx = module.make_context();
    let mut fctx = FunctionBuilderContext::new();
    for (suffix, params) in [
        ("eval_batch", &batch_params[..]),
        ("eval_one", &one_params[..]),
        ("policy_info", &info_params[..]),
    ] {
        let mut sig = module.make_signature();
        sig.params.extend(params.iter().map(|t| p(*t)));
        sig.returns.push(p(types::I32));
        let mut rt_sig = sig.clone();
        rt_sig.params.insert(0, p(ptr));
        let rt = module
            .declare_function(&format!("bylaw_rt_{suffix}"), Linkage::Import, &rt_sig)
            .map_err(CodegenError::module)?;
        let f = module
            .declare_function(&format!("{prefix}_{suffix}"), Linkage::Export, &sig)
            .map_err(CodegenError::module)?;
        ctx.func.signature = sig;
        ctx.func.name = UserFuncName::user(0, f.as_u32());
        {
            let mut b = FunctionBuilder::new(&mut ctx.func, &mut fctx);
            let entry = b.create_block();
            b.append_block_params_for_function_params(entry);
            b.switch_to_block(entry);
            let gv = module.declare_data_in_func(desc, b.func);
            let d = b.ins().symbol_value(ptr, gv);
            let mut a = vec![d];
            a.extend(b.block_params(entry).iter().copied());
            let callee = module.declare_func_in_func(rt, b.func);
            let call = b.ins().call(callee, &a);
            let r = b.inst_results(call).to_vec();
            b.ins().return_(&r);
            b.seal_all_blocks();
            b.finalize(module.target_config());
        }
        module
            .define_function(f, &mut ctx)
            .map_err(|e| CodegenError::Module(format!("{e:?}")))?;
        module.clear_context(&mut ctx);
    }
    Ok(())
}

/// Runs `cmd`; on failure, a sentence naming `what` with the tool's error output, or
/// `hint` if it could not be started.
///
/// # Errors
/// The sentence.
pub fn run_tool(cmd: &mut Command, what: &str, hint: &str) -> Result<(), String> {
    match cmd.output() {
        Ok(o) if o.status.success() => Ok(()),
        Ok(o) => Err(format!(
            "{what} failed ({}):\n{}",
            o.status,
            String::from_utf8_lossy(&o.stderr).trim_end()
        )),
        Err(e) => Err(format!("{what}: cannot run it: {e}\n  help: {hint}")),
    }
}

/// Links `inputs` (objects and static libraries) into the shared library `out` with the
/// system C compiler (`CC`, else `cc`).
///
/// # Errors
/// A sentence if the compiler is missing or the link fails.
pub fn link_shared(inputs: &[&Path], out: &Path) -> Result<(), String> {
    let cc = std::env::var_os("CC").unwrap_or_else(|| "cc".into());
    let mut cmd = Command::new(&cc);
    cmd.arg("-shared").arg("-o").arg(out).args(inputs);
    if cfg!(target_os = "linux") {
        cmd.args(["-lpthread", "-ldl", "-lm"]);
    }
    run_tool(
        &mut cmd,
        &format!("`{}` (linking the shared library)", cc.to_string_lossy()),
        "install a C compiler (`cc`) or set CC",
    )
}
