//! `#[derive(Module)]` for firelight: the derive registers the struct's parameters, buffers
//! and child modules, as PyTorch's attribute assignment does, by implementing
//! `firelight::nn::Visit`; the user writes `impl Module for Net { fn forward(..) }`.
//!
//! Fields are classified by type: `Parameter` and `Option<Parameter>` are parameters;
//! plain numbers, `bool` and `String` are ignored; every other field is a child module.
//! `#[module(skip)]` ignores a field, `#[module(buffer)]` registers a `Tensor` as a buffer.
//! Fields of tuple structs are named `"0"`, `"1"`, ...; a unit struct holds nothing.
use proc_macro::TokenStream;
use quote::quote;
use syn::{Data, DeriveInput, Fields, GenericArgument, PathArguments, Type, parse_macro_input};

enum Kind {
    Param,
    OptionalParam,
    Buffer,
    Child,
    Skip,
}

fn last_segment(ty: &Type) -> Option<&syn::PathSegment> {
    match ty {
        Type::Path(p) => p.path.segments.last(),
        _ => None,
    }
}

fn classify(field: &syn::Field) -> syn::Result<Kind> {
    for attr in &field.attrs {
        if attr.path().is_ident("module") {
            let mut kind = None;
            attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("skip") {
                    kind = Some(Kind::Skip);
                    Ok(())
                } else if meta.path.is_ident("buffer") {
                    kind = Some(Kind::Buffer);
                    Ok(())
                } else {
                    Err(meta.error("expected `skip` or `buffer`"))
                }
            })?;
            if let Some(k) = kind {
                return Ok(k);
            }
        }
    }
    let Some(seg) = last_segment(&field.ty) else {
        return Ok(Kind::Child);
    };
    let name = seg.ident.to_string();
    if name == "Parameter" {
        return Ok(Kind::Param);
    }
    if name == "Option"
        && let PathArguments::AngleBracketed(args) = &seg.arguments
        && let Some(GenericArgument::Type(inner)) = args.args.first()
        && last_segment(inner).is_some_and(|s| s.ident == "Parameter")
    {
        return Ok(Kind::OptionalParam);
    }
    let plain = [
        "f32", "f64", "i32", "i64", "u32", "u64", "usize", "isize", "bool", "String",
    ];
    if plain.contains(&name.as_str()) {
        return Ok(Kind::Skip);
    }
    Ok(Kind::Child)
}

/// Implements `firelight::nn::Visit` (what the module holds) from the struct's fields; the
/// struct then needs `impl Module for Net { fn forward(&self, x: &Tensor) -> Tensor {..} }`.
/// See the crate docs for how fields are registered.
#[proc_macro_derive(Module, attributes(module))]
pub fn derive_module(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    match expand(&input) {
        Ok(ts) => ts.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

fn expand(input: &DeriveInput) -> syn::Result<proc_macro2::TokenStream> {
    let name = &input.ident;
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new_spanned(
            input,
            "#[derive(Module)] works on structs; for an enum, implement `firelight::nn::Visit` by hand",
        ));
    };
    let fields: Vec<(proc_macro2::TokenStream, String, &syn::Field)> = match &data.fields {
        Fields::Named(f) => f
            .named
            .iter()
            .map(|f| {
                let ident = f.ident.as_ref().expect("named field");
                (quote! { #ident }, ident.to_string(), f)
            })
            .collect(),
        Fields::Unnamed(f) => f
            .unnamed
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let index = syn::Index::from(i);
                (quote! { #index }, i.to_string(), f)
            })
            .collect(),
        Fields::Unit => Vec::new(),
    };
    let (mut params, mut buffers, mut children) = (vec![], vec![], vec![]);
    for (ident, key, f) in &fields {
        match classify(f)? {
            Kind::Param => params.push(quote! { out.push((#key.to_string(), self.#ident.tensor().clone())); }),
            Kind::OptionalParam => params.push(quote! {
                if let Some(p) = &self.#ident { out.push((#key.to_string(), p.tensor().clone())); }
            }),
            Kind::Buffer => buffers.push(quote! { out.push((#key.to_string(), self.#ident.clone())); }),
            Kind::Child => children.push(quote! { out.push((#key.to_string(), &self.#ident as &dyn ::firelight::nn::Module)); }),
            Kind::Skip => {}
        }
    }
    let (impl_g, ty_g, where_g) = input.generics.split_for_impl();
    Ok(quote! {
        impl #impl_g ::firelight::nn::Visit for #name #ty_g #where_g {
            fn named_own_parameters(&self) -> ::std::vec::Vec<(::std::string::String, ::firelight::Tensor)> {
                let mut out = ::std::vec::Vec::new();
                #(#params)*
                out
            }
            fn named_own_buffers(&self) -> ::std::vec::Vec<(::std::string::String, ::firelight::Tensor)> {
                let mut out = ::std::vec::Vec::new();
                #(#buffers)*
                out
            }
            fn named_children(&self) -> ::std::vec::Vec<(::std::string::String, &dyn ::firelight::nn::Module)> {
                let mut out: ::std::vec::Vec<(::std::string::String, &dyn ::firelight::nn::Module)> = ::std::vec::Vec::new();
                #(#children)*
                out
            }
        }

        // `Module`'s methods that need no `forward`, inherent: they work before `impl
        // Module` is written (or without it, for a container), and `model.parameters()`
        // never sends rustc looking for a field's `parameters()`.
        #[allow(dead_code)]
        impl #impl_g #name #ty_g #where_g {
            /// Every parameter, with dotted names (`Module::named_parameters`).
            pub fn named_parameters(&self) -> ::std::vec::Vec<(::std::string::String, ::firelight::Tensor)> {
                ::firelight::nn::tree::named_parameters(self)
            }
            /// Every parameter, what an optimizer takes (`Module::parameters`).
            pub fn parameters(&self) -> ::std::vec::Vec<::firelight::Tensor> {
                ::firelight::nn::tree::parameters(self)
            }
            /// Every buffer, with dotted names (`Module::named_buffers`).
            pub fn named_buffers(&self) -> ::std::vec::Vec<(::std::string::String, ::firelight::Tensor)> {
                ::firelight::nn::tree::named_buffers(self)
            }
            /// The number of parameter elements (`Module::num_parameters`).
            pub fn num_parameters(&self) -> usize {
                ::firelight::nn::tree::num_parameters(self)
            }
            /// Frees every parameter's gradient (`Module::zero_grad`).
            pub fn zero_grad(&self) {
                ::firelight::nn::tree::zero_grad(self)
            }
            /// Training mode, here and in every child (`Module::train`).
            pub fn train(&self) {
                ::firelight::nn::tree::set_training(self, true)
            }
            /// Evaluation mode, here and in every child (`Module::eval`).
            pub fn eval(&self) {
                ::firelight::nn::tree::set_training(self, false)
            }
            /// Whether the module is in training mode (`Visit::is_training`).
            pub fn is_training(&self) -> bool {
                <Self as ::firelight::nn::Visit>::is_training(self)
            }
            /// Moves parameters and buffers to `device` in place (`Module::to`).
            #[track_caller]
            pub fn to(self, device: &::firelight::Device) -> Self {
                ::firelight::nn::tree::move_to(&self, device);
                self
            }
            /// Parameters and buffers by name (`Module::state_dict`).
            pub fn state_dict(&self) -> ::firelight::nn::StateDict {
                ::firelight::nn::tree::state_dict(self)
            }
            /// Copies `state` in, or says every mismatch (`Module::load_state_dict`).
            pub fn load_state_dict(&self, state: &::firelight::nn::StateDict) -> ::firelight::Result<()> {
                ::firelight::nn::tree::load_state_dict(self, state)
            }
        }
    })
}
