//! `#[derive(Module)]` for firelight: the user writes `forward` as an inherent method, the
//! derive registers the struct's parameters and child modules, as PyTorch's attribute
//! assignment does, and implements `firelight::nn::Module`.
//!
//! Fields are classified by type: `Parameter` and `Option<Parameter>` are parameters;
//! plain numbers, `bool` and `String` are ignored; every other field is a child module.
//! `#[module(skip)]` ignores a field, `#[module(buffer)]` registers a `Tensor` as a buffer.
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

/// Implements `firelight::nn::Module` for a struct whose inherent `forward(&self, &Tensor)
/// -> Tensor` computes the output. See the crate docs for how fields are registered.
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
            "#[derive(Module)] works on structs with named fields",
        ));
    };
    let Fields::Named(fields) = &data.fields else {
        return Err(syn::Error::new_spanned(
            input,
            "#[derive(Module)] works on structs with named fields",
        ));
    };
    let (mut params, mut buffers, mut children) = (vec![], vec![], vec![]);
    for f in &fields.named {
        let ident = f.ident.as_ref().expect("named field");
        let key = ident.to_string();
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
        impl #impl_g ::firelight::nn::Module for #name #ty_g #where_g {
            fn forward(&self, x: &::firelight::Tensor) -> ::firelight::Tensor {
                // The inherent method the user wrote (inherent functions win over trait ones).
                #name::forward(self, x)
            }
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
    })
}
