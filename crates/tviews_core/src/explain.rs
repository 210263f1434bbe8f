//! `pg_tviews_explain`: how each source's changes become refreshed keys, in words.

use crate::action::Inputs;
use crate::model::{ColumnRef, DefinitionModel};
use crate::plan::Reach;

/// What maintenance does for changes of one source table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceExplain {
    /// `schema.table`.
    pub source: String,
    /// How a changed row reaches the keys, one line per appearance of the table in the
    /// definition, joined by "; ".
    pub reaches: String,
    /// What happens and when, given the TVIEW's mode ([`crate::action`]).
    pub maintenance: String,
}

fn column(model: &DefinitionModel, c: &ColumnRef) -> String {
    format!("{}.{}", model.occurrences[c.occ].table.name, c.column)
}

fn describe_reach(model: &DefinitionModel, reach: &Reach) -> String {
    match reach {
        Reach::Root => match &model.root {
            Some(r) => format!("key column {}", column(model, r)),
            None => "key column".into(),
        },
        Reach::Path(hops) => {
            let steps: Vec<String> = hops
                .iter()
                .map(|h| {
                    format!(
                        "{} {} {}",
                        column(model, &h.from),
                        h.operator.name,
                        column(model, &h.to)
                    )
                })
                .collect();
            format!("join {}", steps.join(", "))
        }
        Reach::Untraceable(why) => format!("untraceable: {why}"),
    }
}

/// One entry per source table, in the plan's order.
pub fn explain(inputs: &Inputs<'_>) -> Vec<SourceExplain> {
    let model = inputs.model;
    inputs
        .plan
        .sources
        .iter()
        .map(|s| SourceExplain {
            source: format!("{}.{}", s.table.schema, s.table.name),
            reaches: s
                .reaches
                .iter()
                .map(|(_, r)| describe_reach(model, r))
                .collect::<Vec<_>>()
                .join("; "),
            maintenance: inputs.describe_source(s.table.oid),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::Mode;
    use crate::plan::plan;

    fn model() -> DefinitionModel {
        DefinitionModel::product_category_review()
    }

    #[test]
    fn every_source_is_explained_in_its_mode() {
        let m = model();
        let p = plan(&m).unwrap();
        let inputs = |mode| Inputs {
            model: &m,
            plan: &p,
            patches: &[],
            mode,
        };
        let e = explain(&inputs(Mode::Deferred));
        let by = |t: &str| e.iter().find(|x| x.source == t).unwrap();
        assert_eq!(
            by("public.tb_product").reaches,
            "key column tb_product.pk_product"
        );
        assert_eq!(
            by("public.tb_category").reaches,
            "join tb_product.fk_category = tb_category.pk_category"
        );
        assert!(by("public.tb_review").maintenance.contains("queued"));
        assert!(by("public.tb_category").maintenance.contains("captured"));
        let i = explain(&inputs(Mode::Immediate));
        assert!(i[0].maintenance.starts_with("each statement"));
    }
}
